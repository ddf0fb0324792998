"""Throttling clients that keep failing to authenticate (password guessing).

Per client address: more than ``limit`` failures within ``window_s`` and the client is
answered 429 (with ``Retry-After``) before its credentials are even looked at, until its
oldest failure in the window has aged out. Kept in the webserver process's memory: a restart
forgets, which costs a guesser one more window, not more.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from harrier.webserver.exceptions import TooManyFailures

__all__ = ["FailedLogins"]

# Addresses tracked at most; the one failing longest ago is forgotten first.
_CLIENTS = 10_000


class FailedLogins:
    """Recent authentication failures per client address."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, client: str) -> None:
        """Raise ``TooManyFailures`` while ``client`` is over the limit."""
        failures = self._recent(client)
        if failures is not None and len(failures) >= self._limit:
            wait = failures[0] + self._window_s - self._clock()
            raise TooManyFailures(client, max(1, math.ceil(wait)))

    def add(self, client: str) -> None:
        """Count one failure of ``client``."""
        failures = self._recent(client)
        if failures is None:
            failures = self._failures[client] = deque()
            if len(self._failures) > _CLIENTS:
                self._failures.popitem(last=False)
        failures.append(self._clock())
        self._failures.move_to_end(client)

    def _recent(self, client: str) -> deque[float] | None:
        failures = self._failures.get(client)
        if failures is None:
            return None
        horizon = self._clock() - self._window_s
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return None
        return failures
