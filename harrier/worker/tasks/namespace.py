"""namespace.UploadFiles, DownloadFiles and DeleteFiles on the namespace files in internal
storage (`kestra:///<namespace as folders>/_files/`)."""

from __future__ import annotations

import fnmatch
from typing import Any

from harrier.core.expressions import to_text
from harrier.core.tasks.namespace import DeleteFiles, DownloadFiles, UploadFiles
from harrier.storage.exceptions import StorageError, StorageFileNotFound
from harrier.storage.uris import is_storage_uri, namespace_files_prefix, normalize_uri
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure

__all__ = ["NAMESPACE_RUNS", "run_delete_files", "run_download_files", "run_upload_files"]


def run_upload_files(task: UploadFiles, context: RunContext) -> dict[str, Any]:
    """Store the files; `outputs.files` maps each namespace path written to its URI."""
    prefix = _prefix(task.namespace, context)
    wanted: dict[str, Any] = {}
    if task.files_map is not None:
        if not isinstance(task.files_map, dict):
            raise TaskFailure("property filesMap: expected a mapping of namespace paths to storage URIs or contents")
        wanted.update({str(path): value for path, value in task.files_map.items()})
    for uri in _list(task.files, "files"):
        wanted[f"{str(task.destination).strip('/')}/{uri.rsplit('/', 1)[-1]}".lstrip("/")] = uri
    written: dict[str, str] = {}
    for path, value in wanted.items():
        target = _checked(prefix, path, "filesMap")
        if context.storage.exists(target):
            if task.conflict == "ERROR":
                raise TaskFailure(f"namespace file {path} exists (conflict: ERROR)")
            if task.conflict == "SKIP":
                continue
        if is_storage_uri(value):
            try:
                with context.storage.open(context.readable(value, f"files {path}")) as source:
                    context.storage.put(target, source)
            except StorageFileNotFound:
                raise TaskFailure(f"files {path}: no file stored at {value}") from None
        else:
            context.storage.put(target, (value if isinstance(value, str) else to_text(value)).encode())
        written[path.strip("/")] = target
    return {"files": written}


def run_download_files(task: DownloadFiles, context: RunContext) -> dict[str, Any]:
    """Copy matching namespace files into this task run's files."""
    prefix = _prefix(task.namespace, context)
    destination = str(task.destination).strip("/")
    copied: dict[str, str] = {}
    for path, uri in _matching(context, prefix, _list(task.files, "files")):
        with context.storage.open(uri) as source:
            copied[path] = context.storage.put(context.file_uri(f"{destination}/{path}".lstrip("/")), source)
    return {"files": copied}


def run_delete_files(task: DeleteFiles, context: RunContext) -> dict[str, Any]:
    """Delete matching namespace files."""
    prefix = _prefix(task.namespace, context)
    deleted = [path for path, uri in _matching(context, prefix, _list(task.files, "files")) if context.storage.delete(uri)]
    return {"files": deleted}


def _prefix(namespace: str, context: RunContext) -> str:
    if namespace != context.record.namespace:
        raise TaskFailure(f"property namespace: {namespace!r} is not the flow's ({context.record.namespace}); only its own namespace files are reachable")
    return namespace_files_prefix(namespace)


def _checked(prefix: str, path: str, where: str) -> str:
    try:
        return normalize_uri(prefix + path.strip("/"))
    except StorageError as exc:
        raise TaskFailure(f"property {where}: {exc}") from None


def _matching(context: RunContext, prefix: str, globs: list[str]) -> list[tuple[str, str]]:
    found = []
    for uri in context.storage.list(prefix):
        path = uri[len(prefix):]
        if any(fnmatch.fnmatch(path, g.strip("/")) or fnmatch.fnmatch("/" + path, g) for g in globs):
            found.append((path, uri))
    return found


def _list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise TaskFailure(f"property {where}: expected a list")
    return [item if isinstance(item, str) else to_text(item) for item in value]


NAMESPACE_RUNS = {
    UploadFiles.type_name: run_upload_files,
    DownloadFiles.type_name: run_download_files,
    DeleteFiles.type_name: run_delete_files,
}
