"""Internal storage exceptions.

StorageError              base of everything raised by harrier.storage
 +-- InvalidStorageUri    a URI is not a `storage://` URI or escapes its root (`..`, empty segments)
 +-- StorageFileNotFound  no file is stored at that URI
"""

from __future__ import annotations

__all__ = ["InvalidStorageUri", "StorageError", "StorageFileNotFound"]


class StorageError(Exception):
    """Base of the exceptions raised by ``harrier.storage``."""


class InvalidStorageUri(StorageError, ValueError):
    """The URI is not a valid internal storage URI; the message says which part is wrong."""


class StorageFileNotFound(StorageError, FileNotFoundError):
    """No file is stored at the URI."""
