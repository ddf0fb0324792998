"""A KV store in a dict, for unit tests and tools: the same contract as `TopicKVStore`."""

from __future__ import annotations

from harrier.core.kv import KVEntry

__all__ = ["MemoryKVStore"]


class MemoryKVStore:
    """Entries by namespace and key, in this process only."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], KVEntry] = {}

    def get(self, namespace: str, key: str) -> KVEntry | None:
        """The entry, or None."""
        return self._entries.get((namespace, key))

    def entries(self, namespace: str) -> list[KVEntry]:
        """The namespace's entries in key order."""
        return [self._entries[k] for k in sorted(self._entries) if k[0] == namespace]

    def put(self, entry: KVEntry) -> None:
        """Write the entry."""
        self._entries[(entry.namespace, entry.key)] = entry

    def delete(self, namespace: str, key: str) -> None:
        """Remove the key."""
        self._entries.pop((namespace, key), None)
