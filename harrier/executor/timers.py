"""A timer index: which keys are due when, cheap to ask "is anything due now?".

A heap of (due, key) with lazy deletion: re-arming or disarming a key only updates the
``_due`` map; stale heap entries are skipped when they reach the top. Times are epoch
seconds (floats) so comparisons in the loop need no datetime objects.
"""

from __future__ import annotations

import heapq

__all__ = ["TimerIndex"]


class TimerIndex:
    """Due time per key; ``pop_due`` hands out each armed timer once."""

    __slots__ = ("_due", "_heap")

    def __init__(self) -> None:
        self._due: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._due)

    def set(self, key: str, due: float | None) -> None:
        """Arm ``key`` at ``due`` (epoch seconds), or disarm it when ``due`` is None."""
        if due is None:
            self._due.pop(key, None)
            return
        if self._due.get(key) == due:
            return
        self._due[key] = due
        heapq.heappush(self._heap, (due, key))
        self._compact_if_bloated()

    def due_at(self, key: str) -> float | None:
        """When ``key`` is due, or None if it is not armed."""
        return self._due.get(key)

    def next_due(self) -> float | None:
        """The earliest armed due time, or None."""
        heap = self._heap
        while heap:
            due, key = heap[0]
            if self._due.get(key) == due:
                return due
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> list[str]:
        """Disarm and return the keys due at or before ``now``, earliest first."""
        fired: list[str] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, key = heapq.heappop(heap)
            if self._due.get(key) == due:
                del self._due[key]
                fired.append(key)
        return fired

    def clear(self) -> None:
        """Disarm everything."""
        self._due.clear()
        self._heap.clear()

    def _compact_if_bloated(self) -> None:
        # Re-arming a key leaves its old entry behind; rebuild before stale ones dominate.
        if len(self._heap) > 64 and len(self._heap) > 4 * len(self._due):
            self._heap = [(due, key) for key, due in self._due.items()]
            heapq.heapify(self._heap)
