"""Run executions end to end without Kafka: a scripted worker, a virtual clock, and the
routing the executor's topics would do (child creates, subflow results, kills).

Used by the unit tests and the executor benchmark. A `worker` function decides each worker
task's outcome; returning None keeps the task "running" (it stays in `held` until a test
answers it with `answer`). Admissions of flows with a concurrency limit go through an
in-memory owner (`harrier.core.concurrency`). When nothing else is pending, the clock jumps to the earliest
timer of a live execution and fires it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from harrier.core.concurrency import AdmissionRequest, ExecutionReleased, FlowSlots, admit, release
from harrier.core.executions import Execution
from harrier.core.flows import Flow
from harrier.core.messages import (
    CreateExecution,
    KillExecution,
    LogEntry,
    WorkerControl,
    WorkerResult,
    WorkerTask,
)
from harrier.core.states import State
from harrier.core.transitions.events import Event, TimersDue
from harrier.core.transitions.results import StepResult
from harrier.core.transitions.step import step

__all__ = ["Outcome", "Simulation", "succeed"]

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the scripted worker answers for one worker task."""

    state: State = State.SUCCESS
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration: timedelta = timedelta()


def succeed(task: WorkerTask) -> Outcome:
    """The default worker: every attempt succeeds at once with no outputs."""
    return Outcome()


class Simulation:
    """Executions of some flows, driven to the end with a scripted worker."""

    def __init__(self, flows: Iterable[Flow], worker: Callable[[WorkerTask], Outcome | None] = succeed) -> None:
        self.flows = {f.uid: f for f in flows}
        self.worker = worker
        self.now = EPOCH
        self.executions: dict[str, Execution] = {}
        self.queue: deque[Event] = deque()
        self.held: dict[str, WorkerTask] = {}
        self.worker_tasks: list[WorkerTask] = []
        self.controls: list[WorkerControl] = []
        self.logs: list[LogEntry] = []
        self.dropped: list[str] = []
        self.slots: dict[str, FlowSlots] = {}
        self.steps = 0

    def create(self, flow: Flow | str, execution_id: str = "e1", inputs: dict[str, Any] | None = None) -> str:
        """Queue the create command of an execution of `flow` (a Flow or its `namespace/id`)."""
        uid = flow if isinstance(flow, str) else flow.uid
        namespace, flow_id = uid.split("/", 1)
        self.queue.append(
            CreateExecution(
                execution_id=execution_id, namespace=namespace, flow_id=flow_id, inputs=inputs or {}, created_at=self.now
            )
        )
        return execution_id

    def send(self, event: Event) -> StepResult:
        """Apply one event now and route what it emits."""
        execution_id = event.execution_id
        execution = self.executions.get(execution_id)
        if isinstance(event, CreateExecution):
            flow = self.flows[f"{event.namespace}/{event.flow_id}"]
        else:
            if execution is None:
                self.dropped.append(f"no execution {execution_id}")
                return StepResult(None, changed=False, dropped="no such execution")
            flow = self.flows[execution.uid]
        result = step(execution, flow, event, self.now)
        self.steps += 1
        if not result.changed:
            self.dropped.append(result.dropped or "")
            return result
        assert result.execution is not None
        self.executions[result.execution.id] = result.execution
        self.logs.extend(result.logs)
        self.controls.extend(result.controls)
        for control in result.controls:
            self.held.pop(control.task_run_id, None)
        self.queue.extend(result.commands)
        for message in result.admissions:
            self._own(message)
        for task in result.worker_tasks:
            self.worker_tasks.append(task)
            outcome = self.worker(task)
            if outcome is None:
                self.held[task.task_run_id] = task
            else:
                self.queue.append(self.result_of(task, outcome))
        return result

    def _own(self, message: AdmissionRequest | ExecutionReleased) -> None:
        # The concurrency owner of executions-by-flow, in memory.
        uid = message.flow_uid
        if isinstance(message, AdmissionRequest):
            slots, decisions = admit(self.slots.get(uid), message)
        else:
            found, decisions = release(self.slots.get(uid), message)
            if found is None:
                self.slots.pop(uid, None)
                self.queue.extend(decisions)
                return
            slots = found
        self.slots[uid] = slots
        self.queue.extend(decisions)

    def result_of(self, task: WorkerTask, outcome: Outcome) -> WorkerResult:
        """The worker result of `task` ending with `outcome`."""
        return WorkerResult(
            execution_id=task.execution_id,
            task_run_id=task.task_run_id,
            attempt=task.attempt,
            state=outcome.state,
            outputs=outcome.outputs,
            error=outcome.error,
            started_at=self.now,
            ended_at=self.now + outcome.duration,
        )

    def answer(self, task_id: str, outcome: Outcome | None = None) -> None:
        """Queue the result of the held worker task of `task_id` (the oldest one)."""
        for run_id, task in self.held.items():
            if task.task_id == task_id:
                del self.held[run_id]
                self.queue.append(self.result_of(task, outcome or Outcome()))
                return
        raise KeyError(f"no held worker task of {task_id}")

    def run(self, max_steps: int = 100_000, timers: bool = True) -> None:
        """Apply queued events, then fire timers, until nothing is left to do."""
        for _ in range(max_steps):
            if self.queue:
                self.send(self.queue.popleft())
            elif not timers or not self._fire_next_timer():
                return
        raise RuntimeError(f"simulation did not settle within {max_steps} steps")

    def advance(self) -> StepResult:
        """Jump the clock to the earliest timer of a live execution and fire it."""
        if not self._fire_next_timer():
            raise LookupError("no live execution has a timer")
        return self.send(self.queue.pop())

    def _fire_next_timer(self) -> bool:
        due = [(e.next_timer, e.id) for e in self.executions.values() if e.next_timer is not None and not e.state.terminal]
        if not due:
            return False
        when, execution_id = min(due)
        self.now = max(self.now, when)
        self.queue.append(TimersDue(execution_id))
        return True

    def kill(self, execution_id: str = "e1") -> None:
        """Queue a kill command."""
        self.queue.append(KillExecution(execution_id=execution_id))

    def execution(self, execution_id: str = "e1") -> Execution:
        """The latest snapshot of an execution."""
        return self.executions[execution_id]

    def states(self, execution_id: str = "e1") -> dict[str, list[State]]:
        """Task id -> states of its task runs, in creation order (test-friendly view)."""
        found: dict[str, list[State]] = {}
        for tr in self.executions[execution_id].task_runs:
            found.setdefault(tr.task_id, []).append(tr.state)
        return found

    def ran(self) -> list[str]:
        """Task ids of every worker task sent, in order."""
        return [t.task_id for t in self.worker_tasks]

