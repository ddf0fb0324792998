"""Open-loop pacing: send i is due at start + i / rate, whatever happened to the sends before it.

A closed loop (send, wait for the answer, send again) slows down with the system under test and
hides its queueing delay (coordinated omission). Here the schedule is fixed up front; a send
that is late because the injector itself lagged fires at once, and the lag is recorded so a
report can say when the harness, not the system, was the bottleneck.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

__all__ = ["Pace", "paced"]


@dataclass(frozen=True, slots=True)
class Pace:
    """A constant rate held for a duration."""

    rate_per_min: float
    duration_s: float

    def __post_init__(self) -> None:
        if self.rate_per_min <= 0:
            raise ValueError(f"rate must be positive, got {self.rate_per_min} per minute")
        if self.duration_s <= 0:
            raise ValueError(f"duration must be positive, got {self.duration_s} s")

    @property
    def interval_s(self) -> float:
        """Seconds between two sends."""
        return 60.0 / self.rate_per_min

    @property
    def count(self) -> int:
        """How many sends the pace makes (at least one)."""
        return max(1, math.floor(self.duration_s * self.rate_per_min / 60.0 + 1e-9))

    def due(self, index: int) -> float:
        """Seconds after the start at which send `index` is due."""
        return index * self.interval_s


async def paced(
    pace: Pace,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[tuple[int, float]]:
    """Yield (index, lag in seconds) as each send falls due; the consumer must not block."""
    start = clock()
    for index in range(pace.count):
        due = start + pace.due(index)
        wait = due - clock()
        if wait > 0:
            await sleep(wait)
        yield index, max(0.0, clock() - due)
