"""Moving an execution forward: start task runs, evaluate flowables, end the execution.

Everything happens inside one step. When a task run ends, its parent is marked dirty;
`settle` evaluates dirty parents until nothing more can start, which may end the parent in
turn, up to the execution itself. Flowables (If, Switch, ForEach, Parallel, Sequential,
AllowFailure, Dag) start their children right away; Pause and Subflow wait for an event.
A flowable's own `errors` run when its main tasks failed, its `finally` after them; the
flow's `errors` and `finally` work the same way at the top level, followed by its
`afterExecution` tasks, whose failure does not change the outcome. A Pause with `tasks` runs
them once it is resumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from pydantic_core import to_jsonable_python

from harrier.core.concurrency import ExecutionReleased
from harrier.core.exceptions import HarrierExpressionError
from harrier.core.executions import StateChange, TaskRun
from harrier.core.expressions.render import render_value
from harrier.core.flows import Flow
from harrier.core.messages import SubflowEnded
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel, Task
from harrier.core.tasks.flowable import AllowFailure, Dag, ForEach, Parallel, Pause, Subflow
from harrier.core.tasks.loops import WaitFor
from harrier.core.transitions.contexts import context_for, render_for
from harrier.core.transitions.flowables import decide, sequence
from harrier.core.transitions.foreach import decide_for_each
from harrier.core.transitions.initializers import initialize
from harrier.core.transitions.moves import dispatch, fail, finish
from harrier.core.transitions.needs import needs_of
from harrier.core.transitions.run import Run
from harrier.core.transitions.slas import assertion_outcome
from harrier.core.transitions.values import as_count, truthy
from harrier.core.transitions.waitfor import decide_wait_for

__all__ = ["end_execution", "evaluate", "settle", "start"]

def start(run: Run, task: Task, parent: TaskRun | None, value: Any = None, index: int | None = None) -> TaskRun:
    """Create a task run of `task` under `parent` and move it as far as it goes now."""
    outer = run.blame
    tr = _start(run, task, parent, value, index)
    # Not reached when `_start` raises: the task run it was starting stays the one to blame.
    run.blame = outer
    return tr


def _start(run: Run, task: Task, parent: TaskRun | None, value: Any, index: int | None) -> TaskRun:
    iteration = parent.iteration if parent is not None else ()
    if index is not None:
        iteration = (*iteration, index)
    elif parent is not None:
        value = parent.value
    tr = run.add(
        TaskRun(
            id=run.new_id(),
            task_id=task.id,
            parent_task_run_id=parent.id if parent is not None else None,
            value=value,
            iteration=iteration,
            state=State.CREATED,
            history=(StateChange(state=State.CREATED, at=run.now),),
        )
    )
    run.blame = tr.id
    if task.run_if is not None:
        try:
            go = truthy(render_for(run, tr, task, task.run_if, f"{task.id}.runIf"))
        except HarrierExpressionError as exc:
            return fail(run, tr, str(exc), task)
        if not go:
            # Harrier has no SKIPPED state: a skipped task ends in SUCCESS without running.
            run.log(LogLevel.INFO, f"runIf is false: {task.id} skipped", tr)
            return finish(run, tr, State.SUCCESS)
    if not task.is_flowable:
        return dispatch(run, tr, task)
    tr = run.put(tr.moved(State.RUNNING, run.now))
    try:
        tr = initialize(run, tr, task)
    except (HarrierExpressionError, ValueError) as exc:
        return fail(run, tr, str(exc), task)
    if tr.state is State.RUNNING and not isinstance(task, (Pause, Subflow)):
        evaluate(run, tr.id)
    return run.get(tr.id) or tr


def _limit(run: Run, tr: TaskRun, task: Task) -> int:
    if isinstance(task, ForEach):
        raw, name = task.concurrency_limit, "concurrencyLimit"
    elif isinstance(task, (Parallel, Dag)):
        raw, name = task.concurrent, "concurrent"
    else:
        return 0
    if isinstance(raw, int):
        return raw
    where = f"{task.id}.{name}"
    return as_count(render_for(run, tr, task, raw, where), where)


def _side(run: Run, parent: TaskRun | None, tasks: Sequence[Task] | None, children: list[TaskRun]) -> tuple[bool, State | None]:
    """Run an errors or finally list: (started a task, outcome once the list is done)."""
    if not tasks:
        return False, State.SUCCESS
    nxt, outcome = sequence(tasks, {tr.task_id: tr for tr in children})
    if nxt is not None:
        start(run, nxt, parent)
        return True, None
    return False, outcome


def evaluate(run: Run, parent_id: str | None) -> None:
    """Start what a flowable (or the flow, for None) can start now; end it when all is done."""
    run.blame = parent_id
    # The flow itself for the top level, else the flowable task of run `tr`.
    task: Task | Flow
    tr: TaskRun | None
    if parent_id is None:
        if run.state not in (State.RUNNING, State.PAUSED):
            return
        tr, task = None, run.flow
    else:
        tr = run.get(parent_id)
        if tr is None or tr.state is not State.RUNNING:
            return
        task = run.plan.task(tr.task_id)
        if not task.is_flowable or isinstance(task, Subflow) or isinstance(task, Pause) and not task.tasks:
            return
    branch = run.plan.branch
    finally_tasks = getattr(task, "finally_", None)
    error_tasks: Sequence[Task] | None = getattr(task, "errors", None)
    after_tasks = run.flow.after_execution if tr is None else None
    has_side = bool(error_tasks or finally_tasks or after_tasks)
    is_for_each = isinstance(task, ForEach)
    while True:
        sides: dict[str, list[TaskRun]] = {"errors": [], "finally": [], "afterExecution": []}
        if has_side:
            main: list[TaskRun] = []
            side_ids = run.plan.side_ids
            for child in run.children(parent_id):
                if child.task_id in side_ids:
                    sides[branch(child.task_id)].append(child)
                else:
                    main.append(child)
        elif is_for_each:
            main = []
        else:
            main = run.children(parent_id)
        limit = 0
        if tr is not None:
            flowable = cast(Task, task)  # a task run's flowable, never the flow
            try:
                limit = _limit(run, tr, flowable)
            except (HarrierExpressionError, ValueError) as exc:
                fail(run, tr, str(exc), flowable)
                return
        if is_for_each and tr is not None:
            decision = decide_for_each(run, tr, cast(ForEach, task), limit)
        elif isinstance(task, WaitFor) and tr is not None:
            decision = decide_wait_for(run, tr, task, main)
        else:
            decision = decide(task, tr, main, limit)
        if decision.outcome is None:
            if not decision.starts:
                return
            for item in decision.starts:
                start(run, item.task, tr, item.value, item.index)
            continue
        state = decision.outcome
        if state is State.FAILED and error_tasks:
            started, done = _side(run, tr, error_tasks, sides["errors"])
            if started:
                continue
            if done is None:
                return
        if finally_tasks:
            started, done = _side(run, tr, finally_tasks, sides["finally"])
            if started:
                continue
            if done is None:
                return
            if done is State.FAILED:
                state = State.FAILED
        if after_tasks:
            # The outcome is known: afterExecution tasks see it and cannot change it.
            run.fields["outcome"] = state
            started, done = _side(run, tr, after_tasks, sides["afterExecution"])
            if started:
                continue
            if done is None:
                return
        _complete(run, tr, task, state)
        return


def _complete(run: Run, tr: TaskRun | None, task: Any, state: State) -> None:
    if tr is None:
        state = assertion_outcome(run, state)
        if state is State.FAILED and "error" not in run.fields:
            # Name the first task that failed, so the snapshot says why at a glance.
            failed = next((r for r in run.runs if r.state is State.FAILED and r.error), None)
            if failed is not None:
                run.fields["error"] = f"task {failed.task_id} failed: {failed.error}"
        end_execution(run, state)
        return
    if state is State.FAILED and (isinstance(task, AllowFailure) or task.allow_failure):
        state = State.WARNING
    finish(run, tr, state)


def end_execution(run: Run, state: State) -> None:
    """End the execution: render the flow's outputs, stop timers, report to a parent."""
    outputs: dict[str, Any] | None = None
    flow = run.flow
    if state in (State.SUCCESS, State.WARNING) and flow.outputs:
        try:
            outputs = {
                o.id: to_jsonable_python(render_for(run, None, None, o.value, f"outputs.{o.id}")) for o in flow.outputs
            }
        except HarrierExpressionError as exc:
            state = State.FAILED
            run.fields["error"] = f"flow outputs: {exc}"
            run.log(LogLevel.ERROR, run.fields["error"])
    run.move(state)
    run.fields["ended_at"] = run.now
    if outputs is not None:
        run.fields["outputs"] = outputs
    run.timers = []
    if flow.concurrency is not None:
        run.admissions.append(ExecutionReleased(flow_uid=flow.uid, execution_id=run.execution.id))
    parent = run.execution.parent
    if parent is not None:
        reported = outputs or {}
        if parent.outputs and state in (State.SUCCESS, State.WARNING):
            reported = {**reported, **_parent_outputs(run, parent.outputs)}
        run.commands.append(
            SubflowEnded(
                execution_id=parent.execution_id,
                task_run_id=parent.task_run_id,
                child_execution_id=run.execution.id,
                state=state,
                outputs=reported,
            )
        )


def _parent_outputs(run: Run, templates: dict[str, Any]) -> dict[str, Any]:
    """The parent Subflow's deprecated `outputs`, rendered in this (the child's) context; one
    that does not render is logged and left out."""
    context = context_for(run, None, None, needs_of([templates]))
    rendered: dict[str, Any] = {}
    for key, template in templates.items():
        try:
            rendered[key] = to_jsonable_python(render_value(template, context, f"subflow outputs.{key}"))
        except HarrierExpressionError as exc:
            run.log(LogLevel.WARN, str(exc))
    return rendered


def settle(run: Run) -> None:
    """Evaluate dirty parents until nothing moves, then sync the execution's PAUSED state."""
    while run.dirty:
        evaluate(run, run.dirty.pop())
    if not run.plan.has_pause:
        return
    if run.state is State.RUNNING and any(tr.state is State.PAUSED for tr in run.runs):
        run.move(State.PAUSED)
    elif run.state is State.PAUSED and not any(tr.state is State.PAUSED for tr in run.runs):
        run.move(State.RUNNING)
