"""Expression contexts for one task run, holding only the outputs its templates name.

The executor renders flowable properties (If conditions, ForEach values, Subflow inputs,
runIf, timeouts, flow outputs) and ships each worker task with a context. Both are built here
from the task's `Needs`: outputs of the named tasks only, so the cost of a context follows
what a template reads, not the size of the execution.
"""

from __future__ import annotations

from typing import Any

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.executions import TaskRun
from harrier.core.expressions.context import ERROR_LOGS, TaskOutputs, build_context
from harrier.core.expressions.render import render
from harrier.core.sealing import reveal_inputs
from harrier.core.states import State
from harrier.core.tasks.base import Task
from harrier.core.transitions.needs import Needs
from harrier.core.transitions.run import Run

__all__ = ["context_for", "iteration_values", "outputs_for", "render_for", "worker_context"]

# Roots a worker always gets: they are small and name what is running.
_ALWAYS = ("flow", "execution", "task", "taskrun")


def iteration_values(run: Run, tr: TaskRun) -> list[Any]:
    """The values of the ForEach iterations enclosing `tr`, outermost first."""
    values: list[Any] = []
    current = tr
    while current.parent_task_run_id is not None:
        parent = run.get(current.parent_task_run_id)
        if parent is None:
            break
        if parent.items is not None:
            values.append(current.value)
        current = parent
    values.reverse()
    return values


def outputs_for(run: Run, needs: Needs) -> TaskOutputs:
    """Outputs of the tasks `needs` names (all tasks when it names them dynamically)."""
    outputs = TaskOutputs()
    if needs.outputs is None:
        task_ids: Any = {tr.task_id for tr in run.runs if tr.outputs is not None}
    else:
        task_ids = needs.outputs
    for task_id in task_ids:
        for tr in run.of_task(task_id):
            if tr.outputs is not None:
                outputs.add(task_id, tr.outputs, iteration_values(run, tr))
    return outputs


def _parents(run: Run, tr: TaskRun) -> list[dict[str, Any]]:
    parents: list[dict[str, Any]] = []
    parent_id = tr.parent_task_run_id
    while parent_id is not None:
        parent = run.get(parent_id)
        if parent is None:
            break
        parents.append({"taskrun": {"id": parent.id, "value": parent.value}})
        parent_id = parent.parent_task_run_id
    return parents


def context_for(run: Run, tr: TaskRun | None, task: Task | None, needs: Needs) -> dict[str, Any]:
    """The variables to render `task`'s templates for task run `tr` (None: flow level)."""
    ex = run.execution
    # While afterExecution tasks run, the execution's state is the outcome they report on.
    outcome = run.fields["outcome"] if "outcome" in run.fields else ex.outcome
    state = str(outcome or run.state)
    execution = {"id": ex.id, "originalId": ex.id, "startDate": ex.created_at.isoformat(), "state": state}
    outputs = outputs_for(run, needs) if "outputs" in needs.roots else None
    taskrun = None
    parents: list[dict[str, Any]] = []
    if tr is not None:
        attempt = tr.last_attempt
        taskrun = {
            "id": tr.id,
            "value": tr.value,
            "parentId": tr.parent_task_run_id,
            "attemptsCount": attempt.number - 1 if attempt is not None else 0,
            "startDate": tr.started_at.isoformat(),
        }
        if "parents" in needs.roots or "parent" in needs.roots:
            parents = _parents(run, tr)
    context = build_context(
        run.flow,
        execution=execution,
        inputs=ex.inputs,
        outputs=outputs,
        task=task,
        taskrun=taskrun,
        parents=parents,
        trigger=ex.trigger,
        # Labels set earlier in this step (by a Labels task) are already the execution's.
        labels=run.fields.get("labels", ex.labels),
        flow_info=run.plan.flow_info,
    )
    if ERROR_LOGS in needs.roots:
        context[ERROR_LOGS] = _error_logs(run)
    return context


def _error_logs(run: Run) -> list[dict[str, Any]]:
    """What `errorLogs()` returns: one line per failed task run, with its error, oldest first."""
    ex = run.execution
    return [
        {
            "executionId": ex.id,
            "namespace": ex.namespace,
            "flowId": ex.flow_id,
            "taskId": tr.task_id,
            "taskRunId": tr.id,
            "level": "ERROR",
            "message": tr.error,
            "timestamp": tr.history[-1].at.isoformat().replace("+00:00", "Z"),
        }
        for tr in run.runs
        if tr.error is not None and tr.state in (State.FAILED, State.WARNING, State.RETRYING)
    ]


def worker_context(run: Run, tr: TaskRun, task: Task) -> dict[str, Any]:
    """The context a worker task carries: the roots its templates read, nothing else."""
    needs = run.plan.needs(task)
    full = context_for(run, tr, task, needs)
    context = {key: full[key] for key in _ALWAYS if key in full}
    for root in needs.roots:
        if root in full and root != "envs":
            value = full[root]
            context[root] = dict(value) if isinstance(value, TaskOutputs) else value
    return context


def render_for(run: Run, tr: TaskRun | None, task: Task | None, value: Any, where: str, needs: Needs | None = None) -> Any:
    """Render one property of `task` for `tr` (with what `needs` names, by default what the
    task's templates, or for None the flow's outputs, read); HarrierExpressionError names `where`."""
    if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
        return value
    if needs is None:
        needs = run.plan.needs(task) if task is not None else run.plan.output_needs
    # SECRET inputs are sealed in the execution; a worker task's context keeps them so.
    try:
        context = reveal_inputs(context_for(run, tr, task, needs))
    except ValueError as exc:
        raise HarrierExpressionError(str(exc), where=where) from None
    return render(value, context, where)
