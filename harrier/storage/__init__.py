"""Internal storage: files produced by tasks, addressed by `storage://` URIs."""

from __future__ import annotations

from harrier.storage.base import Source, Storage
from harrier.storage.exceptions import InvalidStorageUri, StorageError, StorageFileNotFound
from harrier.storage.factory import storage_from_settings
from harrier.storage.local import LocalStorage
from harrier.storage.memory import MemoryStorage
from harrier.storage.uris import SCHEME, execution_prefix, parse_uri, task_file_uri

__all__ = [
    "SCHEME",
    "InvalidStorageUri",
    "LocalStorage",
    "MemoryStorage",
    "Source",
    "Storage",
    "StorageError",
    "StorageFileNotFound",
    "execution_prefix",
    "parse_uri",
    "storage_from_settings",
    "task_file_uri",
]
