"""The latest execution snapshots the follow feed has seen, most recent executions kept.

A request for an execution checks here first: it is fresher than Elasticsearch, which
trails the topic by the indexer's flush interval. Bounded, so memory follows the cap and
not the number of executions ever run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["SnapshotCache"]


class SnapshotCache:
    """Snapshot payload bytes (and their record's offset) by execution id; least recently
    written dropped past ``capacity``."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._snapshots: OrderedDict[str, tuple[bytes, int]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, execution_id: str, data: bytes, offset: int = -1) -> None:
        """Remember the latest snapshot of an execution."""
        with self._lock:
            self._snapshots[execution_id] = (data, offset)
            self._snapshots.move_to_end(execution_id)
            if len(self._snapshots) > self.capacity:
                self._snapshots.popitem(last=False)

    def get(self, execution_id: str) -> bytes | None:
        """The latest snapshot seen, or None."""
        entry = self.entry(execution_id)
        return None if entry is None else entry[0]

    def entry(self, execution_id: str) -> tuple[bytes, int] | None:
        """The latest snapshot seen and its offset on ``execution-states`` (-1 if not known)."""
        with self._lock:
            return self._snapshots.get(execution_id)

    def discard(self, execution_id: str) -> None:
        """Forget an execution (it was deleted)."""
        with self._lock:
            self._snapshots.pop(execution_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._snapshots)
