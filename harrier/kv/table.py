"""Entries of the `kv` topic by namespace and key, applied by the topic's reader."""

from __future__ import annotations

import logging
import threading

from harrier.core.kv import KVEntry
from harrier.topics.exceptions import DecodeError
from harrier.topics.records import KV_ENTRY
from harrier.topics.serdes import decode_key

__all__ = ["KVTable"]

logger = logging.getLogger("harrier.kv")


class KVTable:
    """The latest entry of every key; safe to read while the reader thread applies records."""

    def __init__(self) -> None:
        self._namespaces: dict[str, dict[str, KVEntry]] = {}
        self._lock = threading.Lock()

    def apply(self, raw_key: bytes | None, value: bytes | None) -> None:
        """Apply one record: an entry, or a tombstone (None) deleting `namespace/key`."""
        try:
            uid = decode_key(raw_key)
            entry = None if value is None else KV_ENTRY.decode(value)
        except DecodeError as exc:
            # Someone else's bad record must not stop the table; it is logged once per reader.
            logger.warning("kv record skipped: %s", exc)
            return
        namespace, _, key = uid.rpartition("/")
        with self._lock:
            if entry is not None:
                self._namespaces.setdefault(entry.namespace, {})[entry.key] = entry
                return
            keys = self._namespaces.get(namespace)
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del self._namespaces[namespace]

    def get(self, namespace: str, key: str) -> KVEntry | None:
        """The entry, or None."""
        with self._lock:
            return self._namespaces.get(namespace, {}).get(key)

    def entries(self, namespace: str) -> list[KVEntry]:
        """The namespace's entries in key order."""
        with self._lock:
            keys = dict(self._namespaces.get(namespace, {}))
        return [keys[k] for k in sorted(keys)]

    def __len__(self) -> int:
        with self._lock:
            return sum(len(keys) for keys in self._namespaces.values())
