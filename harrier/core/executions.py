"""The Execution model: one run of a flow, as the executor stores it and ships it on
`execution-states` after every change.

Task runs, attempts and state histories are values: the executor's step replaces a task run
instead of mutating it, so a snapshot it read stays intact if the step fails. Field names
are snake_case on the wire.

Size: a snapshot is the whole execution (`to_json`, None fields left out). A finished task
run with a small output encodes to about 450 bytes (three history entries, one attempt), so
2,000 task runs take about 0.9 MB (about 60 KB compressed) against the 8 MiB default of
`executor.max-snapshot-bytes`: roughly 18,000 such task runs fit; large task outputs are
what makes a snapshot grow. Past the limit the executor fails the execution with a clear
error and drops the outputs from that last snapshot (`harrier.core.transitions.snapshots`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from harrier.core.messages import ParentRef
from harrier.core.states import State

__all__ = ["Attempt", "Execution", "StateChange", "TaskRun", "Timer", "TimerKind"]

# "flow-timeout" and "sla" belong to the execution itself (no task run): the flow's `timeout`
# and its MAX_DURATION slas.
TimerKind = Literal["retry", "pause", "timeout", "flow-timeout", "sla", "loop"]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` applied, without validation: for the executor's own, already
        typed values (twice as fast as `model_copy`, which the step calls thousands of times)."""
        new = object.__new__(type(self))
        data = self.__dict__.copy()
        data.update(changes)
        object.__setattr__(new, "__dict__", data)
        object.__setattr__(new, "__pydantic_fields_set__", self.__pydantic_fields_set__ | changes.keys())
        object.__setattr__(new, "__pydantic_extra__", None)
        private = self.__pydantic_private__
        object.__setattr__(new, "__pydantic_private__", None if private is None else dict(private))
        return new


class StateChange(_Value):
    """One entry of a state history: the state entered and when."""

    state: State
    at: datetime


class Attempt(_Value):
    """One try of a runnable task on a worker (or of a Subflow's child execution)."""

    number: int
    state: State
    started_at: datetime
    ended_at: datetime | None = None
    error: str | None = None


class TaskRun(_Value):
    """One run of one task of the flow.

    `value` is the ForEach item this run belongs to (inherited by the tasks nested in an
    iteration), `iteration` the path of ForEach indexes from the outermost loop inwards.
    `branch` records a decision a flowable made when it started (the If branch, the Switch
    case); `items` holds a ForEach's rendered values, so a later step never renders twice.
    """

    id: str
    task_id: str
    parent_task_run_id: str | None = None
    value: Any = None
    iteration: tuple[int, ...] = ()
    state: State
    history: tuple[StateChange, ...]
    attempts: tuple[Attempt, ...] = ()
    outputs: dict[str, Any] | None = None
    branch: str | None = None
    items: list[Any] | None = None
    error: str | None = None

    def moved(self, state: State, at: datetime, **changes: Any) -> TaskRun:
        """A copy in `state`, with the change appended to the history and `changes` applied."""
        changes["state"] = state
        changes["history"] = (*self.history, StateChange(state=state, at=at))
        return self.replace(**changes)

    @property
    def last_attempt(self) -> Attempt | None:
        """The current (latest) attempt, if the task run has any."""
        return self.attempts[-1] if self.attempts else None

    @property
    def started_at(self) -> datetime:
        """When the task run was created."""
        return self.history[0].at


class Timer(_Value):
    """A moment the executor must act at: end a retry back-off, a pause, a task timeout, or
    the flow's timeout (`task_run_id` None: the timer is the execution's own)."""

    kind: TimerKind
    task_run_id: str | None = None
    attempt: int | None = None
    due: datetime
    # Which of the flow's slas an "sla" timer checks.
    sla_id: str | None = None


class Execution(_Value):
    """One run of a flow revision: its state, inputs, task runs and pending timers."""

    id: str
    namespace: str
    flow_id: str
    flow_revision: int
    state: State
    history: tuple[StateChange, ...]
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    trigger: dict[str, Any] | None = None
    parent: ParentRef | None = None
    task_runs: tuple[TaskRun, ...] = ()
    outputs: dict[str, Any] | None = None
    variables: dict[str, Any] | None = None
    timers: tuple[Timer, ...] = ()
    created_at: datetime
    ended_at: datetime | None = None
    error: str | None = None
    # The state the execution will end in, known while its afterExecution tasks run.
    outcome: State | None = None
    task_run_seq: int = 0

    # Lookup tables of the task runs, handed from one step to the next (never serialized).
    _index: Any = PrivateAttr(default=None)

    def to_json(self) -> bytes:
        """The snapshot as JSON, leaving out empty (None) fields to keep it small."""
        return self.__pydantic_serializer__.to_json(self, exclude_none=True)

    def __eq__(self, other: object) -> bool:
        # The lookup tables are a cache: equal executions may hold different ones.
        return isinstance(other, Execution) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    @property
    def uid(self) -> str:
        """`namespace/flow_id` of the flow this execution runs."""
        return f"{self.namespace}/{self.flow_id}"

    @property
    def next_timer(self) -> datetime | None:
        """When the earliest timer is due, or None."""
        return min((t.due for t in self.timers), default=None)

    def task_run(self, task_run_id: str) -> TaskRun | None:
        """The task run with this id, or None."""
        for run in self.task_runs:
            if run.id == task_run_id:
                return run
        return None
