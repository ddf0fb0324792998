"""Execution and task-run states, which of them are terminal, and which moves between them are legal.

    CREATED ─► QUEUED ─► RUNNING ─┬─► SUCCESS | WARNING | FAILED
       │                  │  ▲    ├─► PAUSED ─► RUNNING
       │                  ▼  │    ├─► RETRYING ─► RUNNING
       └──────────────► CANCELLED └─► KILLING ─► KILLED

Every non-terminal state may also go to KILLING (a kill request) or straight to KILLED when
nothing is running, and to FAILED (a timeout or an error in the executor's own step).
"""

from __future__ import annotations

import enum

__all__ = ["State", "TERMINAL", "can_move"]


class State(enum.StrEnum):
    """The state of an execution or of a task run."""

    CREATED = "CREATED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    RETRYING = "RETRYING"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    FAILED = "FAILED"
    KILLING = "KILLING"
    KILLED = "KILLED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        """True for states nothing moves out of (but a restart, which starts a new attempt)."""
        return self in TERMINAL

    @property
    def failed(self) -> bool:
        """True for the states that count as a failure for errors branches and parents."""
        return self in (State.FAILED, State.KILLED)


TERMINAL = frozenset({State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED})

_ANY_LIVE_TO = {State.KILLING, State.KILLED, State.FAILED}

_MOVES: dict[State, frozenset[State]] = {
    State.CREATED: frozenset({State.QUEUED, State.RUNNING, State.CANCELLED, State.SUCCESS} | _ANY_LIVE_TO),
    State.QUEUED: frozenset({State.RUNNING, State.CANCELLED} | _ANY_LIVE_TO),
    State.RUNNING: frozenset({State.SUCCESS, State.WARNING, State.PAUSED, State.RETRYING} | _ANY_LIVE_TO),
    State.PAUSED: frozenset({State.RUNNING, State.SUCCESS, State.WARNING} | _ANY_LIVE_TO),
    State.RETRYING: frozenset({State.RUNNING} | _ANY_LIVE_TO),
    State.KILLING: frozenset({State.KILLED}),
}


def can_move(current: State, target: State) -> bool:
    """True if `current` may move to `target`; a terminal state may only restart into RUNNING."""
    if current in TERMINAL:
        return target is State.RUNNING and current is not State.SUCCESS
    return target in _MOVES.get(current, frozenset())
