"""An in-process system under test, for the harness's own tests and for dry runs.

It ends every execution after `base_s`, plus queueing once more than `capacity` executions
are in flight, so a ladder on it has a knee at a known rate; executions whose flow id is in
`failing` end FAILED, and with `lose_every` set one in that many never ends.
"""

from __future__ import annotations

import asyncio

from benchmarks.harness.samples import SampleBook
from benchmarks.scenarios.catalog import Scenario

__all__ = ["MemoryTarget"]


class MemoryTarget:
    """Ends each execution on the event loop after a delay that grows with the load."""

    name = "memory"

    def __init__(self, base_s: float = 0.01, capacity: int = 1000, per_queued_s: float = 0.01,
                 lose_every: int = 0, failing: frozenset[str] = frozenset()) -> None:
        self.base_s = base_s
        self.capacity = capacity
        self.per_queued_s = per_queued_s
        self.lose_every = lose_every
        self.failing = failing
        self.prepared: list[str] = []
        self._inflight = 0
        self._submitted = 0

    async def prepare(self, scenario: Scenario) -> None:
        """Remember the scenario (nothing to deploy)."""
        self.prepared.append(scenario.name)

    async def submit(self, scenario: Scenario, key: str, book: SampleBook, lag_s: float) -> None:
        """Schedule the end of this execution."""
        book.sent(key, lag_s)
        self._submitted += 1
        if self.lose_every and self._submitted % self.lose_every == 0:
            return
        self._inflight += 1
        delay = self.base_s + max(0, self._inflight - self.capacity) * self.per_queued_s
        state = "FAILED" if scenario.flow_id in self.failing else "SUCCESS"
        asyncio.get_running_loop().call_later(delay, self._end, book, key, state)

    def _end(self, book: SampleBook, key: str, state: str) -> None:
        self._inflight -= 1
        book.ended(key, state)

    async def settle(self) -> None:
        """Nothing buffered."""

    async def quiesce(self, timeout_s: float) -> int:
        """Wait for the scheduled ends (lost executions never end)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._inflight and loop.time() < deadline:
            await asyncio.sleep(0.01)
        return self._inflight

    async def close(self) -> None:
        """Nothing to release."""
