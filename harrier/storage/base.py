"""The internal storage interface: put, get, open, size, delete and list files by URI.

Implementations sit side by side (`local.py` for a filesystem, `memory.py` for tests); an S3
one only has to implement the seven primitive methods. URIs are ``kestra:///...`` (or
Harrier's older ``storage://...``, the same file), see `uris.py`.
"""

from __future__ import annotations

import abc
import builtins
from pathlib import Path
from typing import BinaryIO

from harrier.storage.uris import execution_prefix

__all__ = ["Source", "Storage"]

# What `put` accepts: the bytes themselves, a local file to copy, or an open binary file.
Source = bytes | Path | BinaryIO


class Storage(abc.ABC):
    """Files addressed by internal storage URIs; every method is safe to call from any thread."""

    @abc.abstractmethod
    def put(self, uri: str, source: Source) -> str:
        """Store `source` at `uri` (replacing any file there) and return `uri`."""

    @abc.abstractmethod
    def get(self, uri: str) -> bytes:
        """The content stored at `uri`; `StorageFileNotFound` if there is none."""

    @abc.abstractmethod
    def open(self, uri: str) -> BinaryIO:
        """The content at `uri` as a binary stream to read and close (for files too large to
        hold at once); `StorageFileNotFound` if there is none."""

    @abc.abstractmethod
    def size(self, uri: str) -> int:
        """The size in bytes of the file at `uri`; `StorageFileNotFound` if there is none."""

    @abc.abstractmethod
    def exists(self, uri: str) -> bool:
        """True if a file is stored at `uri`."""

    @abc.abstractmethod
    def delete(self, uri: str) -> bool:
        """Delete the file at `uri`; False if there was none."""

    @abc.abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Every file URI under `prefix` (a URI ending with `/`), sorted."""

    def list_execution(self, namespace: str, flow_id: str, execution_id: str) -> builtins.list[str]:
        """Every file of one execution, sorted."""
        return self.list(execution_prefix(namespace, flow_id, execution_id))

    def delete_execution(self, namespace: str, flow_id: str, execution_id: str) -> int:
        """Delete every file of one execution; return how many were deleted."""
        return sum(self.delete(uri) for uri in self.list_execution(namespace, flow_id, execution_id))
