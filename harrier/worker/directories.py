"""A WorkingDirectory's folder carried from one child to the next through internal storage.

A child's folder starts as the archive the previous child left (`previous`), or, for the
first child, as the WorkingDirectory's `inputFiles` (text, or the content of a storage URI);
once the child succeeded, the folder is archived again under the child's own task run id and
the files matching `outputFiles` are stored in the WorkingDirectory's own folder. Archives are
named per child, never overwritten, so a child redelivered or retried on any worker starts
from the same folder, whatever a failed attempt did to it.
"""

from __future__ import annotations

import fnmatch
import io
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harrier.core.expressions import to_text
from harrier.core.messages import WorkerTask, WorkingDirectoryRef
from harrier.storage.exceptions import StorageFileNotFound
from harrier.storage.uris import is_storage_uri, namespace_files_prefix, task_file_uri
from harrier.worker.exceptions import TaskFailure

if TYPE_CHECKING:
    from harrier.worker.context import RunContext

__all__ = ["inject_namespace_files", "restore", "save"]

_ARCHIVES = "_workdir"


def _archive_uri(record: WorkerTask, ref: WorkingDirectoryRef, child_id: str) -> str:
    return task_file_uri(record.namespace, record.flow_id, record.execution_id, ref.task_id, ref.task_run_id, f"{_ARCHIVES}/{child_id}.tar")


def restore(context: RunContext, ref: WorkingDirectoryRef, folder: Path) -> None:
    """Fill the empty `folder` with the directory as the previous child left it."""
    record = context.record
    if ref.previous is None:
        inject_namespace_files(context, ref.namespace_files, folder, f"{ref.task_id}.namespaceFiles")
        for name, content in (ref.input_files or {}).items():
            target = _inside(folder, str(name))
            target.parent.mkdir(parents=True, exist_ok=True)
            if is_storage_uri(content):
                context.fetch_file(content, target, f"{ref.task_id}.inputFiles.{name}")
            else:
                target.write_text(content if isinstance(content, str) else to_text(content), encoding="utf-8")
        return
    try:
        data = context.storage.get(_archive_uri(record, ref, ref.previous))
    except StorageFileNotFound:
        raise TaskFailure(f"the working directory of {ref.task_id} after task run {ref.previous} is missing from internal storage") from None
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        # The data filter refuses absolute paths, links out of the folder and device files.
        archive.extractall(folder, filter="data")


def save(context: RunContext, ref: WorkingDirectoryRef, folder: Path) -> dict[str, str]:
    """Archive `folder` as this child left it; store and return the output files."""
    record = context.record
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in sorted(folder.iterdir()):
            archive.add(path, arcname=path.name)
    context.storage.put(_archive_uri(record, ref, record.task_run_id), buffer.getvalue())
    stored: dict[str, str] = {}
    for pattern in ref.output_files or ():
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                uri = task_file_uri(record.namespace, record.flow_id, record.execution_id, ref.task_id, ref.task_run_id, name)
                stored[name] = context.storage.put(uri, path)
    return stored


def _inside(root: Path, name: str) -> Path:
    target = (root / name).resolve()
    if root.resolve() not in target.parents:
        raise TaskFailure(f"inputFiles: {name!r} points outside the working directory")
    return target


def inject_namespace_files(context: RunContext, spec: Any, folder: Path, where: str) -> None:
    """Copy the namespace's files into `folder`, as Kestra's `namespaceFiles` does: all of them
    while `enabled` (true by default), or those matching `include` and none of `exclude` (globs
    on the path inside the namespace; fnmatch's `*` crosses folders, so `scripts/*` and
`scripts/**` both take what is under scripts/)."""
    if spec is None:
        return
    if not isinstance(spec, dict):
        raise TaskFailure(f"property {where}: expected a mapping (enabled, include, exclude)")
    if str(spec.get("enabled", True)).lower() in ("false", "0"):
        return
    include = _globs(spec.get("include"), f"{where}.include")
    exclude = _globs(spec.get("exclude"), f"{where}.exclude")
    prefix = namespace_files_prefix(context.record.namespace)
    for uri in context.storage.list(prefix):
        name = uri[len(prefix):]
        if include and not any(fnmatch.fnmatch(name, g) for g in include):
            continue
        if any(fnmatch.fnmatch(name, g) for g in exclude):
            continue
        target = _inside(folder, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(context.storage.get(uri))


def _globs(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise TaskFailure(f"property {where}: expected a list of glob patterns")
    return [str(item) for item in value]
