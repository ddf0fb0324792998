"""Per-partition commit watermarks: commit only past offsets whose work has finished.

Tasks finish out of order (a 1 s Log after a 5 s Sleep), so the offset to commit for a
partition is the lowest offset still unfinished, or one past the last offset seen when
nothing is unfinished. A crash then redelivers exactly the unfinished tasks (and possibly
some finished ones after them, whose duplicate results the executor drops).

Only the worker's loop thread touches a `Watermarks`; it needs no lock.
"""

from __future__ import annotations

from collections import deque

__all__ = ["PartitionWatermark", "Watermarks"]

TopicPartitionKey = tuple[str, int]


class PartitionWatermark:
    """The contiguous finished prefix of one partition's offsets."""

    __slots__ = ("_done", "_last", "_open", "committable")

    def __init__(self) -> None:
        self._open: deque[int] = deque()
        self._done: set[int] = set()
        self._last = -1
        # The next offset to commit (one past the finished prefix), None until one finishes.
        self.committable: int | None = None

    def start(self, offset: int) -> bool:
        """Track `offset`; False if it was already seen (a refetch), which must not run twice."""
        if offset <= self._last:
            return False
        self._last = offset
        self._open.append(offset)
        return True

    def finish(self, offset: int) -> None:
        """Mark `offset` finished and advance the watermark over the finished prefix."""
        if offset > self._last or offset in self._done:
            return
        self._done.add(offset)
        opened = self._open
        while opened and opened[0] in self._done:
            first = opened.popleft()
            self._done.discard(first)
            self.committable = first + 1

    @property
    def in_flight(self) -> int:
        """How many tracked offsets are not finished."""
        return len(self._open) - len(self._done)


class Watermarks:
    """Watermarks of every assigned partition, and which ones moved since the last commit."""

    __slots__ = ("_committed", "_partitions")

    def __init__(self) -> None:
        self._partitions: dict[TopicPartitionKey, PartitionWatermark] = {}
        self._committed: dict[TopicPartitionKey, int] = {}

    def start(self, topic: str, partition: int, offset: int) -> bool:
        """Track a fetched record; False when it is a refetch of a tracked offset."""
        key = (topic, partition)
        mark = self._partitions.get(key)
        if mark is None:
            mark = self._partitions[key] = PartitionWatermark()
        return mark.start(offset)

    def finish(self, topic: str, partition: int, offset: int) -> None:
        """Mark a record finished; ignored for partitions no longer assigned."""
        mark = self._partitions.get((topic, partition))
        if mark is not None:
            mark.finish(offset)

    def to_commit(self) -> dict[TopicPartitionKey, int]:
        """The offsets that moved since the last `committed` call."""
        due = {}
        for key, mark in self._partitions.items():
            offset = mark.committable
            if offset is not None and offset != self._committed.get(key):
                due[key] = offset
        return due

    def committed(self, offsets: dict[TopicPartitionKey, int]) -> None:
        """Record that `offsets` were committed."""
        self._committed.update(offsets)

    def forget(self, topic: str, partition: int) -> None:
        """Drop a revoked partition: its unfinished work will be redelivered to its next owner."""
        self._partitions.pop((topic, partition), None)
        self._committed.pop((topic, partition), None)

    def in_flight(self) -> int:
        """Unfinished records over every partition."""
        return sum(mark.in_flight for mark in self._partitions.values())
