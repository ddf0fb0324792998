"""Internal storage on the local filesystem, under one base folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from harrier.storage.base import Source, Storage
from harrier.storage.exceptions import StorageFileNotFound
from harrier.storage.uris import SCHEME, parse_uri

__all__ = ["LocalStorage"]


class LocalStorage(Storage):
    """Each URI maps to `base_path/<segments...>`; writes are atomic (temp file + rename)."""

    def __init__(self, base_path: str | Path) -> None:
        # Folders are created on the first write, so merely configuring storage leaves no trace.
        self.base_path = Path(base_path).resolve()

    def put(self, uri: str, source: Source) -> str:
        target = self._path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A reader never sees a half-written file, and a crash leaves only a temp file behind.
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(source, bytes):
                    out.write(source)
                elif isinstance(source, Path):
                    with source.open("rb") as src:
                        shutil.copyfileobj(src, out)
                else:
                    shutil.copyfileobj(source, out)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return uri

    def get(self, uri: str) -> bytes:
        try:
            return self._path(uri).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise StorageFileNotFound(f"no file stored at {uri}") from None

    def open(self, uri: str) -> BinaryIO:
        try:
            return self._path(uri).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise StorageFileNotFound(f"no file stored at {uri}") from None

    def size(self, uri: str) -> int:
        path = self._path(uri)
        if not path.is_file():
            raise StorageFileNotFound(f"no file stored at {uri}")
        return path.stat().st_size

    def exists(self, uri: str) -> bool:
        return self._path(uri).is_file()

    def delete(self, uri: str) -> bool:
        try:
            self._path(uri).unlink()
        except (FileNotFoundError, IsADirectoryError):
            return False
        return True

    def list(self, prefix: str) -> list[str]:
        root = self._path(prefix)
        if not root.is_dir():
            return []
        found = []
        for path in root.rglob("*"):
            if path.is_file() and not path.name.startswith(".tmp-"):
                found.append(SCHEME + path.relative_to(self.base_path).as_posix())
        return sorted(found)

    def _path(self, uri: str) -> Path:
        return self.base_path.joinpath(*parse_uri(uri))
