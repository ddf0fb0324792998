"""Internal storage in memory: for tests and for runs that need no durable files."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import BinaryIO

from harrier.storage.base import Source, Storage
from harrier.storage.exceptions import StorageFileNotFound
from harrier.storage.uris import normalize_uri

__all__ = ["MemoryStorage"]


class MemoryStorage(Storage):
    """Files kept in a dict by normalised URI."""

    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, uri: str, source: Source) -> str:
        if isinstance(source, bytes):
            data = source
        elif isinstance(source, Path):
            data = source.read_bytes()
        else:
            data = source.read()
        key = _key(uri)
        with self._lock:
            self._files[key] = data
        return uri

    def get(self, uri: str) -> bytes:
        with self._lock:
            data = self._files.get(_key(uri))
        if data is None:
            raise StorageFileNotFound(f"no file stored at {uri}")
        return data

    def open(self, uri: str) -> BinaryIO:
        return io.BytesIO(self.get(uri))

    def size(self, uri: str) -> int:
        return len(self.get(uri))

    def exists(self, uri: str) -> bool:
        with self._lock:
            return _key(uri) in self._files

    def delete(self, uri: str) -> bool:
        with self._lock:
            return self._files.pop(_key(uri), None) is not None

    def list(self, prefix: str) -> list[str]:
        root = _key(prefix) + "/"
        with self._lock:
            return sorted(key for key in self._files if key.startswith(root))


def _key(uri: str) -> str:
    return normalize_uri(uri)
