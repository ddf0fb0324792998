"""Moving one task run: dispatch an attempt to a worker, retry it, end it.

When a task run ends, its parent is marked so the step evaluates it again.
"""

from __future__ import annotations

from typing import Any

from harrier.core.durations import format_duration
from harrier.core.exceptions import HarrierExpressionError
from harrier.core.executions import Attempt, TaskRun
from harrier.core.messages import WorkerTask
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel, Task
from harrier.core.transitions.contexts import render_for, worker_context
from harrier.core.transitions.retries import retry_delay, retry_of
from harrier.core.transitions.run import Run
from harrier.core.transitions.values import as_duration
from harrier.core.transitions.workingdirs import directory_ref

__all__ = ["child_execution_id", "dispatch", "fail", "fail_attempt", "finish"]


def child_execution_id(tr: TaskRun) -> str:
    """The id of the execution a Subflow task run starts (stable for one attempt)."""
    return f"{tr.id}-{len(tr.attempts)}"


def finish(run: Run, tr: TaskRun, state: State, **changes: Any) -> TaskRun:
    """End `tr` in `state` (WARNING counts as SUCCESS when its task has `allowWarning`) and
    mark its parent for evaluation."""
    if state is State.WARNING and run.plan.task(tr.task_id).allow_warning:
        state = State.SUCCESS
    run.disarm(tr.id)
    tr = run.put(tr.moved(state, run.now, **changes))
    run.mark(tr)
    return tr


def fail(run: Run, tr: TaskRun, error: str, task: Task | None = None, *, logged: bool = False) -> TaskRun:
    """End `tr` failed (WARNING when its task allows failure) and log the error.

    ``logged``: the worker already wrote the error in the task run's log, so it is not
    written twice.
    """
    task = task or run.plan.task(tr.task_id)
    if not logged:
        run.log(LogLevel.ERROR, error, tr)
    return finish(run, tr, State.WARNING if task.allow_failure else State.FAILED, error=error)


def fail_attempt(run: Run, tr: TaskRun, task: Task, error: str, *, logged: bool = False) -> TaskRun:
    """The current attempt failed: retry after the policy's back-off, or fail the task run.

    ``logged`` as for ``fail``; the retry line then leaves the error out too.
    """
    delay = retry_delay(retry_of(task, run.flow), tr, run.now)
    if delay is None:
        return fail(run, tr, error, task, logged=logged)
    why = "" if logged else f": {error}"
    run.log(LogLevel.WARN, f"attempt {len(tr.attempts)} failed, retrying in {format_duration(delay)}{why}", tr)
    run.disarm(tr.id)
    run.arm("retry", tr.id, run.now + delay)
    return run.put(tr.moved(State.RETRYING, run.now, error=error))


def dispatch(run: Run, tr: TaskRun, task: Task) -> TaskRun:
    """Start a new attempt of a runnable task: emit its worker task and arm its timeout."""
    number = len(tr.attempts) + 1
    timeout = None
    if task.timeout is not None:
        try:
            timeout = as_duration(render_for(run, tr, task, task.timeout, f"{task.id}.timeout"), f"{task.id}.timeout")
        except (HarrierExpressionError, ValueError) as exc:
            return fail(run, tr, str(exc), task)
    try:
        directory = directory_ref(run, tr)
    except (HarrierExpressionError, ValueError) as exc:
        return fail(run, tr, str(exc), task)
    attempt = Attempt(number=number, state=State.RUNNING, started_at=run.now)
    tr = run.put(tr.moved(State.RUNNING, run.now, attempts=(*tr.attempts, attempt), error=None))
    ex = run.execution
    run.worker_tasks.append(
        WorkerTask(
            execution_id=ex.id,
            task_run_id=tr.id,
            task_id=task.id,
            attempt=number,
            namespace=ex.namespace,
            flow_id=ex.flow_id,
            flow_revision=ex.flow_revision,
            value=tr.value,
            task=run.plan.raw(task),
            context=worker_context(run, tr, task),
            created_at=run.now,
            working_directory=directory,
        )
    )
    if timeout is not None:
        run.arm("timeout", tr.id, run.now + timeout, number)
    return tr
