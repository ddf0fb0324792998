"""A thread-safe buffer that task threads append to and the worker loop drains in batches."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

__all__ = ["Batch"]

T = TypeVar("T")


class Batch(Generic[T]):
    """Items appended from any thread, taken all at once by one consumer."""

    __slots__ = ("_items", "_lock")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._lock = threading.Lock()

    def add(self, item: T) -> None:
        """Append one item."""
        with self._lock:
            self._items.append(item)

    def drain(self) -> list[T]:
        """Take every buffered item, oldest first."""
        with self._lock:
            items, self._items = self._items, []
        return items

    def __len__(self) -> int:
        return len(self._items)
