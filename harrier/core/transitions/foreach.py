"""ForEach, incrementally: only the iterations whose children changed are looked at.

A ForEach over n values would cost O(n) per step if every evaluation walked all its
children, O(n^2) per execution. Instead its `Tally` (kept between steps with the
execution's lookup tables, rebuilt from the children after a restore) remembers which
started iterations are still open, and the step's `touched` set names the iterations whose
children ended. Iterations start in value order, at most `concurrencyLimit` open at a time
(0 = all); each iteration runs the ForEach's tasks in order; a failure stops new
iterations, and the ForEach ends when none is open.
"""

from __future__ import annotations

from collections.abc import Mapping

from harrier.core.executions import TaskRun
from harrier.core.states import State
from harrier.core.tasks.base import Task
from harrier.core.tasks.flowable import ForEach
from harrier.core.transitions.flowables import FAILED_LIKE, Decision, Start, sequence
from harrier.core.transitions.indexes import Tally
from harrier.core.transitions.run import Run

__all__ = ["decide_for_each"]


def _next_in(task: ForEach, runs: Mapping[str, TaskRun]) -> tuple[list[Task], State | None]:
    """The tasks an iteration starts next, or its outcome once done: in order for ForEach,
    all at once (until one fails) for EachParallel."""
    if not task.parallel_tasks:
        nxt, outcome = sequence(task.tasks, runs)
        return ([nxt] if nxt is not None else []), outcome
    todo = [t for t in task.tasks if not t.disabled]
    ended = [runs[t.id] for t in todo if t.id in runs and runs[t.id].state.terminal]
    if any(r.state in FAILED_LIKE for r in ended):
        return [], State.FAILED if len(ended) == sum(1 for t in todo if t.id in runs) else None
    if len(ended) == len(todo):
        return [], State.WARNING if any(r.state is State.WARNING for r in ended) else State.SUCCESS
    return [t for t in todo if t.id not in runs], None


def _build(run: Run, tr: TaskRun, task: ForEach) -> Tally:
    tally = Tally(set(), 0, False, False)
    started = {child.iteration[-1] for child in run.children(tr.id) if child.task_id not in run.plan.side_ids}
    for index in started:
        _, outcome = _next_in(task, {c.task_id: c for c in run.iteration(tr.id, index)})
        _close_or_keep(tally, index, outcome)
    tally.next = max(started) + 1 if started else 0
    run.set_tally(tr.id, tally)
    return tally


def _close_or_keep(tally: Tally, index: int, outcome: State | None) -> None:
    if outcome is None:
        tally.open.add(index)
    else:
        tally.open.discard(index)
        tally.failed = tally.failed or outcome is State.FAILED
        tally.warning = tally.warning or outcome is State.WARNING


def decide_for_each(run: Run, tr: TaskRun, task: ForEach, limit: int) -> Decision:
    """What the ForEach run `tr` starts now, and its outcome once every iteration ended."""
    tally = run.tally(tr.id)
    if tally is None:
        tally = _build(run, tr, task)
        check = set(tally.open)
        run.touched.pop(tr.id, None)
    else:
        check = run.touched.pop(tr.id, set()) & tally.open
    items = tr.items or []
    starts: list[Start] = []
    for index in sorted(check):
        nexts, outcome = _next_in(task, {c.task_id: c for c in run.iteration(tr.id, index)})
        starts.extend(Start(nxt, items[index], index) for nxt in nexts)
        _close_or_keep(tally, index, outcome)
    if not tally.failed:
        first, _ = _next_in(task, {})
        if not first:
            tally.next = len(items)
        while tally.next < len(items) and (not limit or len(tally.open) < limit):
            index = tally.next
            tally.next += 1
            tally.open.add(index)
            starts.extend(Start(nxt, items[index], index) for nxt in first)
    if starts or tally.open:
        return Decision(starts, None)
    if tally.failed:
        return Decision([], State.FAILED)
    return Decision([], State.WARNING if tally.warning else State.SUCCESS)
