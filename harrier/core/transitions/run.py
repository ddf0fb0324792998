"""The working copy of one execution during one step, and what the step emits.

A step never mutates the execution it was given: `Run` copies the task-run tuple into a
list once (pointers only), replaces task runs as they change, and builds the new snapshot
at the end. Its lookup tables come from the previous snapshot (`indexes.py`), or are built
once after a restore.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from harrier.core.executions import Execution, StateChange, TaskRun, Timer, TimerKind
from harrier.core.messages import LogEntry, WorkerControl, WorkerTask
from harrier.core.secrets import mask
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel
from harrier.core.transitions.indexes import Index, MultiMap, Tally
from harrier.core.transitions.plans import FlowPlan
from harrier.core.transitions.results import Admission, Command, StepResult

__all__ = ["Run"]


class Run:
    """One execution being stepped: task runs by id and parent, timers, state, and outputs.

    `kids` maps a parent id (None: top level) to its children's ids, and `(ForEach run id,
    iteration index)` to that iteration's direct children. `tallies` holds ForEach
    iteration bookkeeping; `touched` the iterations whose children changed in this step.
    `blame` is the task run being worked on (None: the execution itself): what fails if the
    step raises (`failures.py`).
    """

    __slots__ = (
        "_owned_tallies",
        "admissions",
        "base_sizes",
        "blame",
        "changed",
        "by_task",
        "commands",
        "controls",
        "dirty",
        "execution",
        "fields",
        "flow",
        "history",
        "kids",
        "logs",
        "now",
        "plan",
        "pos",
        "runs",
        "seq",
        "state",
        "tallies",
        "timers",
        "touched",
        "worker_tasks",
    )

    def __init__(self, execution: Execution, plan: FlowPlan, now: datetime) -> None:
        self.execution = execution
        self.plan = plan
        self.flow = plan.flow
        self.now = now
        self.runs: list[TaskRun] = list(execution.task_runs)
        cached = execution._index
        self.base_sizes: list[int] | None = None
        self.changed: set[int] | None = None
        if isinstance(cached, Index) and cached.runs is execution.task_runs:
            # Copies of the previous step's tables: C-speed, unlike rebuilding them.
            self.pos: dict[str, int] = dict(cached.pos)
            self.kids = MultiMap(cached.kids)
            self.by_task = MultiMap(cached.by_task)
            self.tallies: dict[str, Tally] = dict(cached.tallies)
            self.base_sizes = cached.sizes
            self.changed = set()
        else:
            self._build()
        self._owned_tallies: set[str] = set()
        self.touched: dict[str, set[int]] = {}
        self.timers: list[Timer] = list(execution.timers)
        self.state = execution.state
        self.history: list[StateChange] = list(execution.history)
        self.fields: dict[str, Any] = {}
        self.seq = execution.task_run_seq
        self.dirty: list[str | None] = []
        self.worker_tasks: list[WorkerTask] = []
        self.controls: list[WorkerControl] = []
        self.commands: list[Command] = []
        self.logs: list[LogEntry] = []
        self.admissions: list[Admission] = []
        self.blame: str | None = None

    # Task runs -------------------------------------------------------------------------

    def get(self, task_run_id: str) -> TaskRun | None:
        """The current version of a task run, or None."""
        i = self.pos.get(task_run_id)
        return None if i is None else self.runs[i]

    def put(self, tr: TaskRun) -> TaskRun:
        """Replace the task run with the same id by `tr`; return `tr`."""
        i = self.pos[tr.id]
        self.runs[i] = tr
        if self.changed is not None:
            self.changed.add(i)
        return tr

    def add(self, tr: TaskRun) -> TaskRun:
        """Append a new task run."""
        i = len(self.runs)
        self.pos[tr.id] = i
        self.runs.append(tr)
        if self.changed is not None:
            self.changed.add(i)
        self._link(tr)
        return tr

    def _link(self, tr: TaskRun) -> None:
        parent_id = tr.parent_task_run_id
        self.kids.append(parent_id, tr.id)
        self.by_task.append(tr.task_id, tr.id)
        if parent_id is not None and tr.task_id not in self.plan.side_ids:
            parent = self.runs[self.pos[parent_id]]
            if parent.items is not None:
                self.kids.append((parent_id, tr.iteration[-1]), tr.id)

    def _build(self) -> None:
        self.changed = None
        self.pos = {tr.id: i for i, tr in enumerate(self.runs)}
        self.kids = MultiMap()
        self.by_task = MultiMap()
        self.tallies = {}
        for tr in self.runs:
            self._link(tr)

    def remove(self, ids: set[str]) -> None:
        """Drop task runs (a restart forgets the errors and finally branches that ran)."""
        self.runs = [tr for tr in self.runs if tr.id not in ids]
        self._build()
        self.timers = [t for t in self.timers if t.task_run_id not in ids]

    def children(self, parent_id: str | None) -> list[TaskRun]:
        """The task runs created under a parent (None: the top level), in creation order."""
        runs, pos = self.runs, self.pos
        return [runs[pos[i]] for i in self.kids.get(parent_id)]

    def iteration(self, foreach_id: str, index: int) -> list[TaskRun]:
        """The direct children of one iteration of a ForEach task run."""
        runs, pos = self.runs, self.pos
        return [runs[pos[i]] for i in self.kids.get((foreach_id, index))]

    def of_task(self, task_id: str) -> list[TaskRun]:
        """Every task run of one task."""
        runs, pos = self.runs, self.pos
        return [runs[pos[i]] for i in self.by_task.get(task_id)]

    def tally(self, foreach_id: str) -> Tally | None:
        """The ForEach's tally, writable in this step; None before it is built."""
        tally = self.tallies.get(foreach_id)
        if tally is not None and foreach_id not in self._owned_tallies:
            tally = self.tallies[foreach_id] = tally.copy()
            self._owned_tallies.add(foreach_id)
        return tally

    def set_tally(self, foreach_id: str, tally: Tally) -> None:
        """Store a freshly built tally."""
        self.tallies[foreach_id] = tally
        self._owned_tallies.add(foreach_id)

    def reset_tallies(self) -> None:
        """Forget every tally (a restart changes states behind their back)."""
        self.tallies = {}

    def new_id(self) -> str:
        """A task run id, unique and derived from the execution id and a counter (replayable)."""
        self.seq += 1
        digest = hashlib.blake2b(f"{self.execution.id}/{self.seq}".encode(), digest_size=10).hexdigest()
        return digest

    def mark(self, tr: TaskRun) -> None:
        """Ask for the parent of `tr` (None: the execution) to be evaluated again."""
        parent_id = tr.parent_task_run_id
        self.dirty.append(parent_id)
        if parent_id is not None and tr.iteration:
            self.touched.setdefault(parent_id, set()).add(tr.iteration[-1])

    # Timers ----------------------------------------------------------------------------

    def arm(
        self, kind: TimerKind, task_run_id: str | None, due: datetime, attempt: int | None = None, sla_id: str | None = None
    ) -> None:
        """Add a timer (of a task run, or of the execution itself for None)."""
        self.timers.append(Timer(kind=kind, task_run_id=task_run_id, attempt=attempt, due=due, sla_id=sla_id))

    def disarm(self, task_run_id: str | None) -> None:
        """Drop every timer of a task run (of the execution itself for None)."""
        if any(t.task_run_id == task_run_id for t in self.timers):
            self.timers = [t for t in self.timers if t.task_run_id != task_run_id]

    # Execution state and emissions -----------------------------------------------------

    def move(self, state: State) -> None:
        """Move the execution to `state` (no-op when already there)."""
        if state is not self.state:
            self.state = state
            self.history.append(StateChange(state=state, at=self.now))

    def log(self, level: LogLevel, message: str, tr: TaskRun | None = None) -> None:
        """Emit a log line of the execution (or of one of its task runs)."""
        ex = self.execution
        attempt = tr.last_attempt if tr is not None else None
        self.logs.append(
            LogEntry(
                execution_id=ex.id,
                namespace=ex.namespace,
                flow_id=ex.flow_id,
                task_id=tr.task_id if tr is not None else None,
                task_run_id=tr.id if tr is not None else None,
                attempt=attempt.number if attempt is not None else None,
                level=level,
                timestamp=self.now,
                message=mask(message),
            )
        )

    def snapshot(self) -> Execution:
        """The execution as the step left it."""
        update: dict[str, Any] = {
            "state": self.state,
            "history": tuple(self.history),
            "task_runs": tuple(self.runs),
            "timers": tuple(self.timers),
            "task_run_seq": self.seq,
        }
        update.update(self.fields)
        execution: Execution = self.execution.replace(**update)
        execution._index = Index(
            execution.task_runs, self.pos, self.kids, self.by_task, self.tallies, self.changed, self.base_sizes
        )
        return execution

    def result(self) -> StepResult:
        """The step's result: the new snapshot and everything to emit."""
        return StepResult(
            execution=self.snapshot(),
            worker_tasks=self.worker_tasks,
            controls=self.controls,
            commands=self.commands,
            logs=self.logs,
            admissions=self.admissions,
        )
