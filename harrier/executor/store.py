"""The partition-local state store: execution id -> state object, with its changelog duty.

One ``PartitionStore`` per assigned partition. States are kept decoded (the codec runs once
per restored record and once per changed key per commit, never per read). Changes made while
a record is processed are journaled so a failing record leaves no trace; the keys changed
since the last commit form the dirty set that the checkpoint writes to ``execution-states``.

The store is the single source of truth for timers: after each successful record it asks the
codec for the next timer of every key it changed, and a restore rebuilds all of them.

A state the codec says ``rests`` (an ended execution, kept only until its grace is over) is
kept as its changelog bytes once they are written, not decoded: about a tenth of the memory
(2.4 KB against 23 KB for an ended mixed-flow execution), and no work, since the commit
encoded it anyway. ``get`` decodes it again if a late record needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harrier.executor.exceptions import StoreError
from harrier.executor.processing import StateCodec
from harrier.executor.timers import TimerIndex

__all__ = ["PartitionStore"]

_ABSENT = object()


class _Rested:
    """A resting state as its changelog bytes, with the timer it had."""

    __slots__ = ("data", "due")

    def __init__(self, data: bytes, due: float | None) -> None:
        self.data = data
        self.due = due


class PartitionStore:
    """States of one partition; ``get``/``put``/``delete`` are the processor's API."""

    __slots__ = ("_codec", "_dirty", "_journal", "_states", "partition", "timers")

    def __init__(self, partition: int, codec: StateCodec) -> None:
        self.partition = partition
        self._codec = codec
        self._states: dict[str, Any] = {}
        self._dirty: set[str] = set()
        # key -> (state before the current record, was it dirty before); None outside a record.
        self._journal: dict[str, tuple[Any, bool]] | None = None
        self.timers = TimerIndex()

    # -- the processor's API -------------------------------------------------------------

    def get(self, key: str) -> Any | None:
        """The state of ``key``, or None."""
        state = self._states.get(key)
        if type(state) is _Rested:
            # Woken, not changed: it is not written to the changelog again.
            state = self._states[key] = self._codec.decode(state.data)
        return state

    def resting(self, key: str) -> bool:
        """True when ``key``'s state rests (see the module docstring), without decoding it."""
        return type(self._states.get(key)) is _Rested

    def put(self, key: str, state: Any) -> None:
        """Replace the state of ``key``; it is written to the changelog at the next commit."""
        self._remember(key)
        self._states[key] = state

    def before(self, key: str) -> Any | None:
        """The state of ``key`` before the record being processed changed it (what a rollback
        would restore); its current state when the record did not change it."""
        journal = self._journal
        if journal is not None and key in journal:
            state = journal[key][0]
            if type(state) is _Rested:
                return self._codec.decode(state.data)
            return None if state is _ABSENT else state
        return self.get(key)

    def delete(self, key: str) -> None:
        """Forget ``key``; a tombstone is written to the changelog at the next commit."""
        self._remember(key)
        self._states.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._states

    def __len__(self) -> int:
        return len(self._states)

    # -- the runtime's API ---------------------------------------------------------------

    def begin(self) -> None:
        """Open the journal of one record (or one timer)."""
        self._journal = {}

    def complete(self) -> None:
        """Keep the record's changes and re-arm the timers of the keys it changed."""
        journal = self._require_journal()
        next_timer = self._codec.next_timer
        for key in journal:
            state = self._states.get(key)
            due = next_timer(state) if state is not None else None
            self.timers.set(key, due.timestamp() if due is not None else None)
        self._journal = None

    def rollback(self) -> None:
        """Undo every change of the record being processed."""
        journal = self._require_journal()
        for key, (before, was_dirty) in journal.items():
            if before is _ABSENT:
                self._states.pop(key, None)
            else:
                self._states[key] = before
            if not was_dirty:
                self._dirty.discard(key)
        self._journal = None

    @property
    def dirty(self) -> bool:
        """True when changes wait for the changelog."""
        return bool(self._dirty)

    def changelog(self) -> Iterator[tuple[str, bytes | None]]:
        """(key, encoded state or None for a tombstone) of every key changed since the last
        commit."""
        codec = self._codec
        states = self._states
        for key in self._dirty:
            state = states.get(key)
            if state is None:
                yield key, None
                continue
            data = codec.encode(state)
            if codec.rests(state):
                due = codec.next_timer(state)
                states[key] = _Rested(data, due.timestamp() if due is not None else None)
            yield key, data

    def mark_clean(self) -> None:
        """The changelog records are committed: forget the dirty set."""
        self._dirty.clear()

    def restore(self, key: str, data: bytes | None) -> None:
        """Apply one changelog record (the latest one per key wins; None deletes)."""
        if data is None:
            self._states.pop(key, None)
            return
        state = self._codec.decode(data)
        if self._codec.rests(state):
            due = self._codec.next_timer(state)
            state = _Rested(data, due.timestamp() if due is not None else None)
        self._states[key] = state

    def rebuild_timers(self) -> None:
        """Arm a timer for every state that has one (after a restore)."""
        self.timers.clear()
        next_timer = self._codec.next_timer
        for key, state in self._states.items():
            if type(state) is _Rested:
                if state.due is not None:
                    self.timers.set(key, state.due)
                continue
            due = next_timer(state)
            if due is not None:
                self.timers.set(key, due.timestamp())

    def _remember(self, key: str) -> None:
        journal = self._journal
        if journal is None:
            raise StoreError(
                f"partition {self.partition}: store changes are only allowed inside "
                "process() or punctuate()"
            )
        if key not in journal:
            journal[key] = (self._states.get(key, _ABSENT), key in self._dirty)
            self._dirty.add(key)

    def _require_journal(self) -> dict[str, tuple[Any, bool]]:
        if self._journal is None:
            raise StoreError(f"partition {self.partition}: no record is being processed")
        return self._journal
