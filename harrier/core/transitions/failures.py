"""Failing an execution because processing one of its records raised.

Whatever escapes `step` for an execution (a template that does not compile, a value a
flowable cannot use, a bug) and whatever the executor cannot ship for it (an output over its
topic's size) ends the execution FAILED, so it never vanishes: running attempts and child
executions are killed, as after a flow timeout; the error goes on the task run that was being
worked on, when there is one, and on the execution. Neither `errors` nor `finally` run: the
flow cannot be trusted to step any further.

`step` wraps what escapes it in a `StepError` naming that task run and carrying the execution
as far as the step got, so a task run the failing step created still gets the error.
"""

from __future__ import annotations

from datetime import datetime

from harrier.core.concurrency import ExecutionReleased
from harrier.core.exceptions import HarrierError
from harrier.core.executions import Execution, StateChange, TaskRun
from harrier.core.flows import Flow
from harrier.core.messages import LogEntry, SubflowEnded, WorkerControl
from harrier.core.secrets import mask
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel
from harrier.core.transitions.exceptions import TransitionError
from harrier.core.transitions.handlers import terminate
from harrier.core.transitions.plans import plan_for
from harrier.core.transitions.results import StepResult
from harrier.core.transitions.run import Run

__all__ = ["StepError", "describe_error", "fail_execution"]


class StepError(TransitionError):
    """An exception escaped `step`.

    `task_run_id` is the task run being worked on when it did (None: the execution itself);
    `execution` is the execution as far as the step got (None when it could not be built).
    """

    def __init__(self, cause: BaseException, task_run_id: str | None, execution: Execution | None) -> None:
        self.cause = cause
        self.task_run_id = task_run_id
        self.execution = execution
        super().__init__(describe_error(cause))


def describe_error(error: BaseException) -> str:
    """The error as a user reads it: Harrier's own errors by their message, others (a bug, a
    library's refusal) with their type, which says more than the message alone."""
    if isinstance(error, HarrierError):
        return str(error)
    # Jinja's errors keep the bare reason in `message`; their str adds a fake file location.
    text = getattr(error, "message", None) or str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def fail_execution(
    execution: Execution, flow: Flow | None, error: str, task_run_id: str | None, now: datetime
) -> StepResult:
    """End `execution` FAILED with `error`, on task run `task_run_id` when it is still running.

    `flow` None means the execution's flow is gone: the task runs are stopped without knowing
    their tasks. An execution that already ended is left as it is (the result is unchanged).
    """
    if execution.state.terminal:
        return StepResult(execution, changed=False, dropped=f"execution {execution.id} already ended {execution.state}")
    if flow is None:
        return _fail_without_flow(execution, error, now)
    run = Run(execution, plan_for(flow), now)
    blamed = run.get(task_run_id) if task_run_id is not None else None
    if blamed is not None and not blamed.state.terminal:
        _fail_task_run(run, blamed, error)
        run.fields["error"] = f"task {blamed.task_id} failed: {error}"
    else:
        run.log(LogLevel.ERROR, error)
        run.fields["error"] = error
    terminate(run, State.FAILED)
    return run.result()


def _fail_task_run(run: Run, tr: TaskRun, error: str) -> None:
    attempts = tr.attempts
    last = tr.last_attempt
    if last is not None and not last.state.terminal:
        if not run.plan.task(tr.task_id).is_flowable:
            run.controls.append(WorkerControl(execution_id=run.execution.id, task_run_id=tr.id))
        attempts = (*attempts[:-1], last.replace(state=State.FAILED, ended_at=run.now, error=error))
    run.disarm(tr.id)
    run.put(tr.moved(State.FAILED, run.now, attempts=attempts, error=error))
    run.log(LogLevel.ERROR, error, tr)


def _fail_without_flow(execution: Execution, error: str, now: datetime) -> StepResult:
    result = StepResult(None)
    runs: list[TaskRun] = []
    for tr in execution.task_runs:
        if not tr.state.terminal:
            attempts = tr.attempts
            last = tr.last_attempt
            if last is not None and not last.state.terminal:
                # Which tasks run on a worker is unknown without the flow: every running
                # attempt gets a kill request (a worker ignores one for a task it does not run).
                result.controls.append(WorkerControl(execution_id=execution.id, task_run_id=tr.id))
                attempts = (*attempts[:-1], last.replace(state=State.KILLED, ended_at=now))
            tr = tr.moved(State.KILLED, now, attempts=attempts)
        runs.append(tr)
    result.execution = execution.replace(
        state=State.FAILED,
        history=(*execution.history, StateChange(state=State.FAILED, at=now)),
        task_runs=tuple(runs),
        timers=(),
        ended_at=now,
        error=error,
    )
    result.logs.append(_log_entry(execution, error, now))
    # Whether the flow had a concurrency limit is unknown too; a release is harmless without one.
    result.admissions.append(ExecutionReleased(flow_uid=execution.uid, execution_id=execution.id))
    parent = execution.parent
    if parent is not None:
        result.commands.append(
            SubflowEnded(
                execution_id=parent.execution_id,
                task_run_id=parent.task_run_id,
                child_execution_id=execution.id,
                state=State.FAILED,
            )
        )
    return result


def _log_entry(execution: Execution, message: str, now: datetime) -> LogEntry:
    return LogEntry(
        execution_id=execution.id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        level=LogLevel.ERROR,
        timestamp=now,
        message=mask(message),
    )
