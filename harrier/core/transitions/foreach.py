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

from harrier.core.executions import TaskRun
from harrier.core.states import State
from harrier.core.tasks.flowable import ForEach
from harrier.core.transitions.flowables import Decision, Start, sequence
from harrier.core.transitions.indexes import Tally
from harrier.core.transitions.run import Run

__all__ = ["decide_for_each"]


def _build(run: Run, tr: TaskRun, task: ForEach) -> Tally:
    tally = Tally(set(), 0, False, False)
    started = {child.iteration[-1] for child in run.children(tr.id) if child.task_id not in run.plan.side_ids}
    for index in started:
        _, outcome = sequence(task.tasks, {c.task_id: c for c in run.iteration(tr.id, index)})
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
        nxt, outcome = sequence(task.tasks, {c.task_id: c for c in run.iteration(tr.id, index)})
        if nxt is not None:
            starts.append(Start(nxt, items[index], index))
        _close_or_keep(tally, index, outcome)
    if not tally.failed:
        first, _ = sequence(task.tasks, {})
        if first is None:
            tally.next = len(items)
        while tally.next < len(items) and (not limit or len(tally.open) < limit):
            index = tally.next
            tally.next += 1
            tally.open.add(index)
            starts.append(Start(first, items[index], index))  # type: ignore[arg-type]
    if starts or tally.open:
        return Decision(starts, None)
    if tally.failed:
        return Decision([], State.FAILED)
    return Decision([], State.WARNING if tally.warning else State.SUCCESS)
