"""What one step returns: the new execution and the records to emit."""

from __future__ import annotations

from dataclasses import dataclass, field

from harrier.core.concurrency import AdmissionRequest, ExecutionReleased
from harrier.core.executions import Execution, Timer
from harrier.core.messages import (
    CreateExecution,
    KillExecution,
    LogEntry,
    ResumeExecution,
    SubflowEnded,
    WorkerControl,
    WorkerTask,
)

__all__ = ["Admission", "Command", "StepResult"]

# Records for the `executions` topic, keyed by their `execution_id`.
Command = CreateExecution | KillExecution | ResumeExecution | SubflowEnded
# Records for the `executions-by-flow` topic, keyed by their `flow_uid`.
Admission = AdmissionRequest | ExecutionReleased


@dataclass(slots=True)
class StepResult:
    """The outcome of applying one event.

    `execution` is the new snapshot (None when the event was dropped before any execution
    existed); `changed` is False when the event was dropped (a duplicate or late result, a
    command that does not apply in the current state), in which case nothing is emitted.
    `dropped` says why, for logs and tests.
    """

    execution: Execution | None
    changed: bool = True
    worker_tasks: list[WorkerTask] = field(default_factory=list)
    controls: list[WorkerControl] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    admissions: list[Admission] = field(default_factory=list)
    dropped: str | None = None

    @property
    def timers(self) -> tuple[Timer, ...]:
        """The new execution's pending timers (empty when there is no execution)."""
        return self.execution.timers if self.execution is not None else ()
