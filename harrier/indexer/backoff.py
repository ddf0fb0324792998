"""Exponential back-off with jitter, for retrying Elasticsearch while it is down or rejecting."""

from __future__ import annotations

import random

__all__ = ["Backoff"]


class Backoff:
    """Delays of ``initial_s`` doubling up to ``max_s``, each with up to 20% jitter; ``reset`` on success."""

    __slots__ = ("_next", "initial_s", "max_s")

    def __init__(self, initial_s: float = 0.1, max_s: float = 5.0) -> None:
        if not 0 < initial_s <= max_s:
            raise ValueError(f"back-off needs 0 < initial_s <= max_s, got {initial_s} and {max_s}")
        self.initial_s = initial_s
        self.max_s = max_s
        self._next = initial_s

    def next_delay(self) -> float:
        """The delay before the next attempt; each call doubles the following one."""
        delay = self._next
        self._next = min(self._next * 2, self.max_s)
        # Jitter spreads the retries of several indexers restarting against one cluster.
        return delay * (0.8 + 0.2 * random.random())

    def reset(self) -> None:
        """Start again from ``initial_s`` (call after a successful attempt)."""
        self._next = self.initial_s
