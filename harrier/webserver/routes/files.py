"""An execution's files in internal storage: Kestra's download, metas and preview routes, and
Harrier's listing. A path must lie under the execution's own prefix (``kestra:///<namespace>/
<flow>/executions/<id>/``), as Kestra's ``validateFile`` requires."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from harrier.storage.exceptions import StorageFileNotFound
from harrier.storage.uris import execution_prefix, normalize_uri
from harrier.webserver.exceptions import NotFound, Unprocessable
from harrier.webserver.lookups import current_snapshot
from harrier.webserver.previews import preview
from harrier.webserver.schemas import ErrorBody
from harrier.webserver.services import Services, services

__all__ = ["router"]

router = APIRouter(prefix="/executions", tags=["executions"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown execution or file"},
    422: {"model": ErrorBody, "description": "The path is not a file of this execution"},
}
_PATH = Query(..., description="The file's internal storage URI (kestra:///...)")
_CHUNK = 256 * 1024


async def _checked(svc: Services, execution_id: str, path: str) -> str:
    """The normalized URI of `path`, a file of execution `execution_id`."""
    _, snapshot = await current_snapshot(svc, execution_id)
    prefix = execution_prefix(snapshot["namespace"], snapshot["flow_id"], execution_id)
    uri = normalize_uri(path)
    if not uri.startswith(prefix):
        raise Unprocessable(f"path {path!r} is not a file of execution {execution_id}: it must start with {prefix}")
    return uri


@router.get("/{execution_id}/file", response_class=StreamingResponse, responses={
    200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The file, as an attachment"}, **_RESPONSES})
async def download_file(execution_id: str, path: str = _PATH, svc: Services = Depends(services)) -> StreamingResponse:
    """Download one file of the execution."""
    uri = await _checked(svc, execution_id, path)
    stream = await run_in_threadpool(_open, svc, uri)
    name = uri.rsplit("/", 1)[-1]
    return StreamingResponse(
        _chunks(stream), media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.get("/{execution_id}/file/metas", responses=_RESPONSES)
async def file_metas(execution_id: str, path: str = _PATH, svc: Services = Depends(services)) -> dict[str, int]:
    """Kestra's FileMetas: the file's size in bytes."""
    uri = await _checked(svc, execution_id, path)
    return {"size": await run_in_threadpool(_size, svc, uri)}


@router.get("/{execution_id}/file/preview", responses=_RESPONSES)
async def file_preview(
    execution_id: str,
    path: str = _PATH,
    max_rows: int | None = Query(None, alias="maxRows", ge=1, description="At most 5,000; 100 by default"),
    encoding: str = Query("UTF-8", description="The file's character set"),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Kestra's FileRender: the first lines (TEXT, MARKDOWN) or rows of an ION file (LIST)."""
    uri = await _checked(svc, execution_id, path)
    return await run_in_threadpool(_preview, svc, uri, max_rows, encoding)


@router.get("/{execution_id}/files", responses=_RESPONSES)
async def list_files(execution_id: str, svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """Harrier's: every file of the execution, ``[{uri, size}]`` sorted by URI."""
    _, snapshot = await current_snapshot(svc, execution_id)
    return await run_in_threadpool(_listing, svc, snapshot["namespace"], snapshot["flow_id"], execution_id)


def _open(svc: Services, uri: str) -> IO[bytes]:
    try:
        return svc.storage.open(uri)
    except StorageFileNotFound:
        raise NotFound(f"no file stored at {uri}") from None


def _size(svc: Services, uri: str) -> int:
    try:
        return svc.storage.size(uri)
    except StorageFileNotFound:
        raise NotFound(f"no file stored at {uri}") from None


def _preview(svc: Services, uri: str, max_rows: int | None, encoding: str) -> dict[str, Any]:
    with _open(svc, uri) as stream:
        return preview(uri, stream, max_rows, encoding)


def _listing(svc: Services, namespace: str, flow_id: str, execution_id: str) -> list[dict[str, Any]]:
    found = []
    for uri in svc.storage.list_execution(namespace, flow_id, execution_id):
        try:
            found.append({"uri": uri, "size": svc.storage.size(uri)})
        except StorageFileNotFound:
            continue  # Deleted between the listing and now.
    return found


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := stream.read(_CHUNK):
            yield chunk
    finally:
        stream.close()
