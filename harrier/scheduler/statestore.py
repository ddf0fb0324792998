"""Trigger states by uid; restored states stay encoded until something needs them.

A restart reads every state of its partitions, but a tick only touches the due ones. So a
restored state is kept as its record bytes, and start-up reads just the few fields the heap
and the lock index need (``summary``) from the bytes; the full model is validated on first use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

import orjson

from harrier.scheduler.state import TRIGGER_STATE_SERDE, TriggerState

__all__ = ["StateStore", "StateSummary"]


class StateSummary(NamedTuple):
    """What scheduling needs of a state without decoding it."""

    type: str
    revision: int
    execution_id: str | None
    locked_at: datetime | None
    disabled: bool
    next_date: datetime | None
    backfill_active: bool


def summarize(state: TriggerState) -> StateSummary:
    """The summary of a decoded state."""
    backfill = state.backfill
    active = backfill is not None and not backfill.paused and not backfill.done
    return StateSummary(state.type, state.revision, state.execution_id, state.locked_at, state.disabled,
                        state.next_date, active)


# The scheduling fields as TriggerState writes them, before any nested object (so a key of
# the same name inside the declaration cannot come first); anything else is fully parsed.
_HEAD = re.compile(
    rb'"type":"([^"\\]*)","revision":(-?\d+),"next_date":(?:null|"([^"]*)"),"execution_id":(?:null|"([^"\\]*)"),'
    rb'"locked_at":(?:null|"([^"]*)"),"disabled":(true|false),"updated_at":"[^"]*","backfill":null,'
)


def _summarize_raw(raw: bytes) -> StateSummary:
    head = _HEAD.search(raw, 0, 1024)
    if head is not None:
        kind, revision, next_date, execution_id, locked_at, disabled = head.groups()
        return StateSummary(
            kind.decode(),
            int(revision),
            execution_id.decode() if execution_id is not None else None,
            datetime.fromisoformat(locked_at.decode()) if locked_at is not None else None,
            disabled == b"true",
            datetime.fromisoformat(next_date.decode()) if next_date is not None else None,
            False,
        )
    data = orjson.loads(raw)["data"]
    backfill = data.get("backfill")
    active = bool(backfill) and not backfill.get("paused") and not backfill.get("done")
    next_date, locked_at = data.get("next_date"), data.get("locked_at")
    return StateSummary(
        data["type"],
        data["revision"],
        data.get("execution_id"),
        datetime.fromisoformat(locked_at) if locked_at else None,
        bool(data.get("disabled")),
        datetime.fromisoformat(next_date) if next_date else None,
        active,
    )


class StateStore:
    """A mapping of trigger uid to TriggerState with lazy decoding of restored records."""

    __slots__ = ("_decoded", "_raw")

    def __init__(self) -> None:
        self._raw: dict[str, bytes] = {}
        self._decoded: dict[str, TriggerState] = {}

    def load(self, uid: str, raw: bytes) -> None:
        """Keep a restored record (validated when first read)."""
        self._raw[uid] = raw
        self._decoded.pop(uid, None)

    def get(self, uid: str) -> TriggerState | None:
        """The state of ``uid``, or None."""
        state = self._decoded.get(uid)
        if state is None:
            raw = self._raw.pop(uid, None)
            if raw is None:
                return None
            state = self._decoded[uid] = TRIGGER_STATE_SERDE.decode(raw)
        return state

    def __getitem__(self, uid: str) -> TriggerState:
        state = self.get(uid)
        if state is None:
            raise KeyError(uid)
        return state

    def __setitem__(self, uid: str, state: TriggerState) -> None:
        self._decoded[uid] = state
        self._raw.pop(uid, None)

    def pop(self, uid: str) -> TriggerState | None:
        """Remove ``uid``; its state, or None."""
        state = self.get(uid)
        self._decoded.pop(uid, None)
        return state

    def __contains__(self, uid: object) -> bool:
        return uid in self._decoded or uid in self._raw

    def __len__(self) -> int:
        return len(self._decoded) + len(self._raw)

    def __iter__(self) -> Iterator[str]:
        yield from list(self._decoded)
        yield from list(self._raw)

    def summaries(self) -> Iterator[tuple[str, StateSummary]]:
        """Every uid with its summary; encoded states are not validated."""
        # Snapshots: the caller may decode (move) states while iterating.
        for uid, state in list(self._decoded.items()):
            yield uid, summarize(state)
        for uid, raw in list(self._raw.items()):
            yield uid, _summarize_raw(raw)

    def values(self) -> Iterator[TriggerState]:
        """Every state, decoding the remaining encoded ones."""
        for uid in list(self._raw):
            self.get(uid)
        return iter(list(self._decoded.values()))
