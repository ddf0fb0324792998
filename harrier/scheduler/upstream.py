"""A light read of ``execution-states`` snapshots: the few fields the scheduler needs.

The scheduler reads every snapshot the executor writes but only acts on terminal ones, so it
does not validate whole executions (task runs, outputs) into models: it reads the decoded
JSON and keeps identity, state, labels, outputs and the states of retried attempts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harrier.core.states import TERMINAL, State
from harrier.topics.serdes import ENVELOPE_VERSION, decode_envelope

__all__ = ["ACTIONABLE", "ExecutionView", "peek_state", "read_execution"]

# The states the scheduler acts on: terminal ones (locks, flow triggers) and PAUSED (flow
# triggers listing it).
ACTIONABLE = frozenset(TERMINAL | {State.PAUSED})

_EXECUTION_PREFIX = b'{"v":%d,"type":"execution","data":' % ENVELOPE_VERSION
# The executor writes Execution models, whose fields come in declaration order: id,
# namespace, flow_id, flow_revision, then state. Quotes inside JSON strings are escaped, so
# the first "state":"..." after the prefix is the execution's own state.
_STATE = re.compile(rb'"state":"([A-Z]+)"')


@dataclass(frozen=True, slots=True)
class ExecutionView:
    """One execution snapshot as the scheduler sees it."""

    id: str
    namespace: str
    flow_id: str
    flow_revision: int | None
    state: State
    transitions: int
    labels: dict[str, str]
    outputs: dict[str, Any] | None
    trigger: dict[str, Any] | None
    # States of the attempts of task runs tried more than once (HasRetryAttempt reads them).
    retried_states: frozenset[State] = frozenset()

    @property
    def terminal(self) -> bool:
        """True when nothing moves the execution any more (but a restart)."""
        return self.state in TERMINAL


def read_execution(raw: bytes) -> ExecutionView:
    """Decode a snapshot value; ``DecodeError`` or ``ValueError`` saying what is missing."""
    data = decode_envelope(raw).data
    if type(data) is not dict:
        raise ValueError("execution snapshot data is not an object")
    try:
        state = data["state"]
        if type(state) is dict:  # {"current": ..., "history": [...]} shape
            history = state.get("history") or ()
            state = state["current"]
        else:
            history = data.get("history") or ()
        return ExecutionView(
            id=data["id"],
            namespace=data["namespace"],
            flow_id=data["flow_id"],
            flow_revision=data.get("flow_revision"),
            state=State(state),
            transitions=len(history),
            labels=data.get("labels") or {},
            outputs=data.get("outputs"),
            trigger=data.get("trigger"),
            retried_states=_retried_states(data.get("task_runs") or ()),
        )
    except KeyError as exc:
        raise ValueError(f"execution snapshot has no {exc.args[0]!r}") from None


def _retried_states(task_runs: Any) -> frozenset[State]:
    states = set()
    for task_run in task_runs:
        attempts = task_run.get("attempts") or () if type(task_run) is dict else ()
        if len(attempts) > 1:
            states.update(State(attempt["state"]) for attempt in attempts)
    return frozenset(states)


def peek_state(raw: bytes) -> State | None:
    """The state of an execution snapshot without decoding it; None when it is not one.

    Most snapshots are of running executions; reading their state from the bytes keeps the
    scheduler from decoding every snapshot the executor writes.
    """
    if not raw.startswith(_EXECUTION_PREFIX):
        return None
    found = _STATE.search(raw, len(_EXECUTION_PREFIX))
    if found is None:
        return None
    try:
        return State(found.group(1).decode())
    except ValueError:
        return None
