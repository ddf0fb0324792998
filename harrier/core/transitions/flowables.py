"""What each flowable does next, given the task runs of its children.

`decide` looks at a flowable task run's main children (not its `errors` or `finally`) and
returns the tasks to start now and, once nothing more will start, the outcome:

- Sequential, AllowFailure, If, Switch and the flow itself run a list in order and stop at
  the first failure;
- Parallel starts its tasks (at most `concurrent` at a time, 0 = all) and stops starting
  after a failure;
- ForEach is decided incrementally in `foreach.py`;
- Dag starts a task once every task it depends on succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harrier.core.executions import TaskRun
from harrier.core.states import State
from harrier.core.tasks.base import Task
from harrier.core.tasks.flowable import Dag, If, Parallel, Switch

__all__ = ["Decision", "Start", "decide", "main_tasks", "sequence"]

FAILED_LIKE = frozenset({State.FAILED, State.KILLED, State.CANCELLED})


@dataclass(frozen=True, slots=True)
class Start:
    """A task to start under the flowable, with the ForEach value and index it belongs to."""

    task: Task
    value: Any = None
    index: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Tasks to start now, and the outcome once the flowable's main tasks are all done."""

    starts: list[Start]
    outcome: State | None


WAIT = Decision([], None)


def sequence(tasks: Sequence[Task], runs: Mapping[str, TaskRun]) -> tuple[Task | None, State | None]:
    """The next task of a list run in order, or its outcome once done (first failure stops it)."""
    warning = False
    for task in tasks:
        if task.disabled:
            continue
        tr = runs.get(task.id)
        if tr is None:
            return task, None
        if not tr.state.terminal:
            return None, None
        if tr.state in FAILED_LIKE:
            return None, State.FAILED
        warning = warning or tr.state is State.WARNING
    return None, State.WARNING if warning else State.SUCCESS


def main_tasks(task: Any, tr: TaskRun | None) -> Sequence[Task]:
    """The list a sequential flowable runs (the flow's `tasks` when `task` is the flow)."""
    if isinstance(task, If):
        return task.then if tr is not None and tr.branch == "then" else task.else_ or ()
    if isinstance(task, Switch):
        if tr is not None and tr.branch != "defaults" and task.cases and tr.branch in task.cases:
            return task.cases[tr.branch]
        return task.defaults or ()
    tasks: Sequence[Task] = task.tasks
    return tasks


def _by_task(children: Sequence[TaskRun]) -> dict[str, TaskRun]:
    return {tr.task_id: tr for tr in children}


def _outcome(failed: bool, warning: bool) -> State:
    if failed:
        return State.FAILED
    return State.WARNING if warning else State.SUCCESS


def _parallel(tasks: Sequence[Task], children: Sequence[TaskRun], limit: int) -> Decision:
    started = _by_task(children)
    running = failed = warning = 0
    for tr in children:
        if not tr.state.terminal:
            running += 1
        elif tr.state in FAILED_LIKE:
            failed += 1
        elif tr.state is State.WARNING:
            warning += 1
    starts: list[Start] = []
    if not failed:
        for task in tasks:
            if limit and running + len(starts) >= limit:
                break
            if not task.disabled and task.id not in started:
                starts.append(Start(task))
    if starts or running:
        return Decision(starts, None)
    return Decision([], _outcome(bool(failed), bool(warning)))


def _dag(task: Dag, children: Sequence[TaskRun], limit: int) -> Decision:
    started = _by_task(children)
    running = sum(1 for tr in children if not tr.state.terminal)
    failed = any(tr.state in FAILED_LIKE for tr in children)
    warning = any(tr.state is State.WARNING for tr in children)
    starts: list[Start] = []
    # A disabled task is left out of the graph: what depends on it does not wait for it.
    disabled = {node.task.id for node in task.tasks if node.task.disabled}
    if not failed:
        for node in task.tasks:
            if limit and running + len(starts) >= limit:
                break
            if node.task.id in started or node.task.disabled:
                continue
            deps = [started.get(dep) for dep in node.depends_on or () if dep not in disabled]
            if all(d is not None and d.state.terminal and d.state not in FAILED_LIKE for d in deps):
                starts.append(Start(node.task))
    if starts or running:
        return Decision(starts, None)
    return Decision([], _outcome(failed, warning))


def decide(task: Any, tr: TaskRun | None, children: Sequence[TaskRun], limit: int = 0) -> Decision:
    """What the flowable `task` (run `tr`; None for the flow) does next given its main children.

    `limit` is the rendered concurrency of Parallel, ForEach and Dag (0 = unlimited).
    """
    if isinstance(task, Parallel):
        return _parallel(task.tasks, children, limit)
    if isinstance(task, Dag):
        return _dag(task, children, limit)
    nxt, outcome = sequence(main_tasks(task, tr), _by_task(children))
    if nxt is not None:
        return Decision([Start(nxt)], None)
    return Decision([], outcome) if outcome is not None else WAIT
