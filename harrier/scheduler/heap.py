"""A heap of due dates: the next due trigger in O(1), each pop or push in O(log n).

Rescheduling a trigger pushes a new entry and leaves the old one in the heap; a popped entry
whose date no longer matches the trigger's current date is stale and skipped (lazy deletion),
so a tick touches only due entries. ``rebuild`` heapifies in one pass at start-up.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

__all__ = ["DueHeap"]


class DueHeap:
    """Trigger uids ordered by due time (epoch seconds as floats)."""

    __slots__ = ("_due", "_heap")

    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        self._due: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._due)

    def rebuild(self, entries: Iterable[tuple[float, str]]) -> None:
        """Replace the content with ``(due, uid)`` entries, in O(n); a list is taken over."""
        self._heap = entries if isinstance(entries, list) else list(entries)
        self._due = {uid: due for due, uid in self._heap}
        heapq.heapify(self._heap)

    def schedule(self, uid: str, due: float) -> None:
        """Make ``uid`` due at ``due`` (replacing any earlier date)."""
        if self._due.get(uid) == due:
            return
        self._due[uid] = due
        heapq.heappush(self._heap, (due, uid))
        # Stale entries are only dropped when popped; compact when they dominate.
        if len(self._heap) > 2 * len(self._due) + 1024:
            self.rebuild((d, u) for u, d in self._due.items())

    def discard(self, uid: str) -> None:
        """Stop tracking ``uid`` (its entry becomes stale)."""
        self._due.pop(uid, None)

    def due_at(self, uid: str) -> float | None:
        """When ``uid`` is due, or None when it is not scheduled."""
        return self._due.get(uid)

    def peek(self) -> float | None:
        """The earliest due time, or None when nothing is scheduled."""
        heap = self._heap
        while heap and self._due.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now: float) -> list[str]:
        """Remove and return every uid due at or before ``now``, earliest first."""
        heap, due, out = self._heap, self._due, []
        while heap and heap[0][0] <= now:
            at, uid = heapq.heappop(heap)
            if due.get(uid) == at:
                del due[uid]
                out.append(uid)
        return out
