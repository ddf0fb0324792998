"""The one interface every system under test implements, cut by what the runner calls."""

from __future__ import annotations

from typing import Protocol

from benchmarks.harness.samples import SampleBook
from benchmarks.scenarios.catalog import Scenario

__all__ = ["Target"]


class Target(Protocol):
    """A system the harness drives: deploy a scenario's flow, then submit executions of it.

    `submit` must not wait for the execution to end: the runner calls it on an open-loop
    schedule. It records the send in the book (`book.sent`) and arranges for the end to be
    recorded (`book.ended`), from a response or from an observer of the system's states.
    """

    name: str

    async def prepare(self, scenario: Scenario) -> None:
        """Deploy the scenario's flow and open whatever observes terminal states."""

    async def submit(self, scenario: Scenario, key: str, book: SampleBook, lag_s: float) -> None:
        """Start one execution tagged with `key`, recording its send (and, later, its end)."""

    async def settle(self) -> None:
        """Wait for in-flight requests of the step (not the executions) to be done."""

    async def quiesce(self, timeout_s: float) -> int:
        """Wait until every execution the harness started has ended, so the next scenario starts on
        an idle system; return how many were still running when `timeout_s` ran out."""

    async def close(self) -> None:
        """Release clients, consumers and threads."""
