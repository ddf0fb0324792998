"""Internal storage: files produced by tasks, addressed by ``kestra:///`` URIs.

`storage_from_settings` lives in `harrier.storage.factory`, outside this package's surface, so
that the domain can use the URIs and the interface without importing the configuration.
"""

from __future__ import annotations

from harrier.storage.base import Source, Storage
from harrier.storage.exceptions import InvalidStorageUri, StorageError, StorageFileNotFound
from harrier.storage.local import LocalStorage
from harrier.storage.memory import MemoryStorage
from harrier.storage.uris import (
    SCHEME,
    execution_prefix,
    input_file_uri,
    is_storage_uri,
    namespace_files_prefix,
    normalize_uri,
    parse_uri,
    task_file_uri,
)

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
    "input_file_uri",
    "is_storage_uri",
    "namespace_files_prefix",
    "normalize_uri",
    "parse_uri",
    "task_file_uri",
]
