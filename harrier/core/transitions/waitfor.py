"""WaitFor, round by round.

Round k (1-based, the run's `iterationCount` output) runs the tasks in order, each child
started with iteration index k - 1 so a round's children are told apart from the earlier
ones'. When a round succeeded: past `maxIterations` rounds or `maxDuration` since the
WaitFor started, it ends (FAILED with `failOnMaxReached`, else SUCCESS); else, while its
`condition` renders truthy, a "loop" timer is armed `interval` away and the next round
starts when it fires (`handlers.on_timers`); once it renders falsy the WaitFor succeeds. A
failed round fails it. Tasks read the latest round's outputs as `outputs.<id>`.
"""

from __future__ import annotations

from collections.abc import Sequence

from harrier.core.executions import TaskRun, TimerKind
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel
from harrier.core.tasks.loops import WaitFor
from harrier.core.transitions.contexts import render_for
from harrier.core.transitions.flowables import WAIT, Decision, Start, sequence
from harrier.core.transitions.run import Run
from harrier.core.transitions.values import truthy

__all__ = ["LOOP_TIMER", "decide_wait_for", "next_round"]

LOOP_TIMER: TimerKind = "loop"


def _rounds(tr: TaskRun) -> int:
    """The round a WaitFor run is in (1 for the first)."""
    count = (tr.outputs or {}).get("iterationCount", 1)
    return count if isinstance(count, int) else 1


def decide_wait_for(run: Run, tr: TaskRun, task: WaitFor, children: Sequence[TaskRun]) -> Decision:
    """What the WaitFor run `tr` starts now, and its outcome once it stops looping."""
    if any(t.task_run_id == tr.id and t.kind == LOOP_TIMER for t in run.timers):
        return WAIT
    count = _rounds(tr)
    depth = len(tr.iteration) + 1
    current = {c.task_id: c for c in children if len(c.iteration) == depth and c.iteration[-1] == count - 1}
    nxt, outcome = sequence(task.tasks, current)
    if nxt is not None:
        return Decision([Start(nxt, tr.value, count - 1)], None)
    if outcome is None:
        return WAIT
    if outcome is State.FAILED:
        return Decision([], State.FAILED)
    frequency = task.check_frequency
    if count >= frequency.max_iterations or run.now >= tr.started_at + frequency.max_duration:
        why = "maxIterations" if count >= frequency.max_iterations else "maxDuration"
        run.log(LogLevel.WARN, f"{task.id}: {why} reached after {count} round(s)", tr)
        return Decision([], State.FAILED if task.fail_on_max_reached else outcome)
    if truthy(render_for(run, tr, task, task.condition, f"{task.id}.condition")):
        run.arm(LOOP_TIMER, tr.id, run.now + frequency.interval)
        return WAIT
    return Decision([], outcome)


def next_round(run: Run, tr: TaskRun) -> None:
    """The loop timer fired: count one more round and let the WaitFor start it."""
    outputs = dict(tr.outputs or {})
    outputs["iterationCount"] = _rounds(tr) + 1
    run.put(tr.replace(outputs=outputs))
    run.dirty.append(tr.id)
