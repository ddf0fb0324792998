"""A thread-safe buffer that task threads append to and the worker loop drains in batches."""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

__all__ = ["Batch"]

T = TypeVar("T")


class Batch(Generic[T]):
    """Items appended from any thread, taken all at once by one consumer.

    A deque's ``append`` and ``popleft`` are atomic, so no lock is taken: a task logging
    100,000 lines pays an append per line, not a lock round trip.
    """

    __slots__ = ("_items", "add")

    def __init__(self) -> None:
        self._items: deque[T] = deque()
        # Appends one item: the deque's own method, so a call costs no Python frame.
        self.add = self._items.append

    def drain(self) -> list[T]:
        """Take every buffered item, oldest first (those appended meanwhile stay for next time)."""
        items = self._items
        return [items.popleft() for _ in range(len(items))]

    def __len__(self) -> int:
        return len(self._items)
