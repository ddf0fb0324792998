"""Lookup tables over an execution's task runs, kept from one step to the next.

A step copies them from the previous snapshot (C-speed dict copies, lists copied only when
appended to) instead of rebuilding them from every task run, so its cost follows what it
changes rather than the size of the execution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harrier.core.executions import TaskRun

__all__ = ["Index", "MultiMap", "Tally"]


class MultiMap:
    """Lists of ids by key, shared with the previous step's copy until first appended to."""

    __slots__ = ("_owned", "data")

    def __init__(self, data: dict[Any, list[str]] | None = None) -> None:
        self.data: dict[Any, list[str]] = dict(data) if data else {}
        self._owned: set[Any] = set() if data else set(self.data)

    def append(self, key: Any, value: str) -> None:
        """Append `value` under `key`, copying a list still shared with another step."""
        if key not in self._owned:
            self.data[key] = list(self.data.get(key, ()))
            self._owned.add(key)
        self.data[key].append(value)

    def get(self, key: Any) -> Sequence[str]:
        """The ids under `key` (empty when none)."""
        return self.data.get(key, ())


class Tally:
    """A ForEach's iterations: which started ones are still open, and how closed ones ended."""

    __slots__ = ("failed", "next", "open", "warning")

    def __init__(self, open_: set[int], next_: int, failed: bool, warning: bool) -> None:
        self.open = open_
        self.next = next_
        self.failed = failed
        self.warning = warning

    def copy(self) -> Tally:
        """An independent copy (the previous step's snapshot keeps the original)."""
        return Tally(set(self.open), self.next, self.failed, self.warning)


class Index:
    """Lookup tables of one snapshot's task runs, handed to the next step.

    `sizes` (each task run's encoded size, filled by `SnapshotSizer` on demand) is derived
    from `base` (the previous snapshot's sizes) by re-measuring only the `changed` positions
    (None: everything changed).
    """

    __slots__ = ("base", "by_task", "changed", "kids", "pos", "runs", "sizes", "tallies")

    def __init__(
        self,
        runs: tuple[TaskRun, ...],
        pos: dict[str, int],
        kids: MultiMap,
        by_task: MultiMap,
        tallies: dict[str, Tally],
        changed: set[int] | None,
        base: list[int] | None,
    ) -> None:
        self.runs = runs
        self.pos = pos
        self.kids = kids.data
        self.by_task = by_task.data
        self.tallies = tallies
        self.changed = changed
        self.base = base if changed is not None else None
        self.sizes: list[int] | None = None
