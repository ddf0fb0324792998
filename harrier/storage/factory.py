"""Build the configured internal storage from the settings."""

from __future__ import annotations

from harrier.config.settings import Settings
from harrier.storage.base import Storage
from harrier.storage.local import LocalStorage

__all__ = ["storage_from_settings"]


def storage_from_settings(settings: Settings) -> Storage:
    """The storage `storage.*` describes; only the local filesystem exists so far."""
    return LocalStorage(settings.storage.base_path)
