"""Kestra's namespace file tasks (`io.kestra.plugin.core.namespace.*`): upload files of the
execution to the namespace's files, download namespace files into the execution's, delete
them. Only the flow's own namespace is reachable, as for `read()`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from harrier.core.properties import DynStr
from harrier.core.tasks.base import Task

__all__ = ["DeleteFiles", "DownloadFiles", "UploadFiles"]


class UploadFiles(Task):
    """Store `filesMap` (namespace path -> storage URI or text) and `files` (storage URIs, put
    under `destination` by file name) as namespace files; `conflict` says what to do with a
    file already there."""

    type_name: ClassVar[str] = "namespace.UploadFiles"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.namespace.UploadFiles",)

    namespace: DynStr
    files_map: Any = None
    files: Any = None
    destination: DynStr = "/"
    conflict: Literal["OVERWRITE", "ERROR", "SKIP"] = "OVERWRITE"


class DownloadFiles(Task):
    """Copy the namespace files matching `files` (globs) into the execution's files:
    `outputs.<id>.files`, namespace path -> URI."""

    type_name: ClassVar[str] = "namespace.DownloadFiles"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.namespace.DownloadFiles",)

    namespace: DynStr
    files: Any
    destination: DynStr = ""


class DeleteFiles(Task):
    """Delete the namespace files matching `files` (globs); `outputs.<id>.files` lists them."""

    type_name: ClassVar[str] = "namespace.DeleteFiles"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.namespace.DeleteFiles",)

    namespace: DynStr
    files: Any
