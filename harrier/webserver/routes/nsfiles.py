"""``/api/v1/namespaces/{namespace}/files``: namespace files, in the shape of Kestra's
NamespaceFileController: upload (multipart ``fileContent``), download, list a directory,
stats, delete. They live in internal storage at ``kestra:///<namespace as folders>/_files/``,
where `read('path')`, `fileURI` and `fileExists` find them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from harrier.storage.exceptions import StorageFileNotFound
from harrier.storage.uris import namespace_files_prefix, normalize_uri
from harrier.webserver.exceptions import NotFound
from harrier.webserver.schemas import ErrorBody
from harrier.webserver.services import Services, services

__all__ = ["router"]

router = APIRouter(prefix="/namespaces/{namespace}/files", tags=["namespace files"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such file"},
    422: {"model": ErrorBody, "description": "A path that leaves the namespace's files"},
}
_NAMESPACE = Path(..., pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")


def _uri(namespace: str, path: str) -> str:
    # normalize_uri refuses '..', empty and NUL segments (422 through the storage handler).
    return normalize_uri(namespace_files_prefix(namespace) + path.strip("/"))


@router.post("", status_code=204, responses=_RESPONSES)
async def upload(
    namespace: str = _NAMESPACE, path: str = Query(..., description="Where the file goes, e.g. /scripts/q.sql"),
    file_content: UploadFile = File(..., alias="fileContent"), svc: Services = Depends(services),
) -> Response:
    """Store (or replace) one namespace file."""
    uri = _uri(namespace, path)
    await run_in_threadpool(svc.storage.put, uri, file_content.file)
    return Response(status_code=204)


@router.get("", responses={200: {"content": {"application/octet-stream": {}}}, **_RESPONSES})
async def download(namespace: str = _NAMESPACE, path: str = Query(...), svc: Services = Depends(services)) -> Response:
    """The file's content."""
    uri = _uri(namespace, path)
    try:
        data = await run_in_threadpool(svc.storage.get, uri)
    except StorageFileNotFound:
        raise NotFound(f"namespace {namespace} has no file {path}") from None
    return Response(data, media_type="application/octet-stream")


@router.delete("", status_code=204, responses=_RESPONSES)
async def delete(namespace: str = _NAMESPACE, path: str = Query(...), svc: Services = Depends(services)) -> Response:
    """Delete a file, or a directory and everything under it."""
    uri = _uri(namespace, path)
    deleted = await run_in_threadpool(_delete, svc, uri)
    if not deleted:
        raise NotFound(f"namespace {namespace} has no file or directory {path}")
    return Response(status_code=204)


@router.get("/directory", responses=_RESPONSES)
async def directory(namespace: str = _NAMESPACE, path: str | None = Query(None), svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """Kestra's FileAttributes of what a directory holds: ``{fileName, type, size}``, type File
    or Directory (a directory exists while it holds a file)."""
    root = _uri(namespace, path) + "/" if path and path.strip("/") else namespace_files_prefix(namespace)
    return await run_in_threadpool(_listing, svc, root)


@router.get("/stats", responses=_RESPONSES)
async def stats(namespace: str = _NAMESPACE, path: str = Query(...), svc: Services = Depends(services)) -> dict[str, Any]:
    """Kestra's FileAttributes of one file or directory."""
    uri = _uri(namespace, path)
    found = await run_in_threadpool(_stats, svc, uri)
    if found is None:
        raise NotFound(f"namespace {namespace} has no file or directory {path}")
    return found


def _delete(svc: Services, uri: str) -> bool:
    if svc.storage.delete(uri):
        return True
    return sum(svc.storage.delete(inner) for inner in svc.storage.list(uri + "/")) > 0


def _listing(svc: Services, root: str) -> list[dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for uri in svc.storage.list(root):
        head, _, rest = uri[len(root):].partition("/")
        if rest:
            entries.setdefault(head, {"fileName": head, "type": "Directory", "size": 0})
        else:
            entries[head] = {"fileName": head, "type": "File", "size": svc.storage.size(uri)}
    return sorted(entries.values(), key=lambda entry: entry["fileName"])


def _stats(svc: Services, uri: str) -> dict[str, Any] | None:
    name = uri.rsplit("/", 1)[-1]
    try:
        return {"fileName": name, "type": "File", "size": svc.storage.size(uri)}
    except StorageFileNotFound:
        pass
    return {"fileName": name, "type": "Directory", "size": 0} if svc.storage.list(uri + "/") else None
