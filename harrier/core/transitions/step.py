"""`step`: apply one event to one execution; the executor's only entry into the logic.

    step(execution, flow, event, now) -> StepResult(execution, worker_tasks, controls, commands, logs)

Pure: no I/O, no clock, no randomness (task run ids and random back-offs derive from the
execution id), so a replayed event gives the same result. The execution passed in is never
mutated.
"""

from __future__ import annotations

from datetime import datetime

from pydantic_core import to_jsonable_python

from harrier.core.concurrency import AdmissionDecision, request_for
from harrier.core.exceptions import InputValidationError
from harrier.core.executions import Execution, StateChange
from harrier.core.flows import Flow
from harrier.core.inputs import coerce_inputs
from harrier.core.messages import (
    CreateExecution,
    KillExecution,
    LogEntry,
    RestartExecution,
    ResumeExecution,
    SubflowEnded,
    WorkerResult,
)
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel
from harrier.core.transitions.engine import end_execution, settle
from harrier.core.transitions.events import Event, TimersDue
from harrier.core.transitions.exceptions import FlowMismatchError
from harrier.core.transitions.failures import StepError
from harrier.core.transitions.flow_timeout import start_running
from harrier.core.transitions.handlers import (
    on_admission,
    on_kill,
    on_restart,
    on_resume,
    on_subflow_ended,
    on_timers,
    on_worker_result,
)
from harrier.core.transitions.plans import plan_for
from harrier.core.transitions.results import StepResult
from harrier.core.transitions.run import Run

__all__ = ["new_execution", "reject", "step"]


def new_execution(command: CreateExecution, flow: Flow, now: datetime) -> Execution:
    """The CREATED execution a create command describes (inputs not yet coerced)."""
    return Execution(
        id=command.execution_id,
        namespace=command.namespace,
        flow_id=command.flow_id,
        flow_revision=flow.revision or 1,
        state=State.CREATED,
        history=(StateChange(state=State.CREATED, at=now),),
        inputs=dict(command.inputs),
        labels={**flow.labels, **command.labels},
        trigger=command.trigger,
        parent=command.parent,
        variables=flow.variables,
        created_at=now,
    )


def _create(run: Run, command: CreateExecution) -> StepResult:
    flow = run.flow
    if flow.disabled:
        run.fields["error"] = f"flow {flow.uid} is disabled"
    else:
        try:
            inputs = coerce_inputs(flow.inputs or [], command.inputs)
            run.fields["inputs"] = to_jsonable_python(inputs)
            run.execution = run.execution.model_copy(update={"inputs": run.fields["inputs"]})
        except InputValidationError as exc:
            run.fields["error"] = f"invalid inputs: {exc}"
    if "error" in run.fields:
        run.log(LogLevel.ERROR, run.fields["error"])
        end_execution(run, State.FAILED)
        return run.result()
    if flow.concurrency is not None:
        # Admission is decided by the owner of the flow's key on executions-by-flow.
        run.move(State.QUEUED)
        run.admissions.append(request_for(flow, command.execution_id, run.now))
        return run.result()
    start_running(run)
    run.dirty.append(None)
    settle(run)
    return run.result()


def reject(command: CreateExecution, error: str, now: datetime) -> StepResult:
    """A create that cannot run at all (its flow is unknown): a FAILED execution saying why,
    reported to its parent like any other end. `flow_revision` is 0 when no revision was asked."""
    execution = Execution(
        id=command.execution_id,
        namespace=command.namespace,
        flow_id=command.flow_id,
        flow_revision=command.revision or 0,
        state=State.FAILED,
        history=(StateChange(state=State.CREATED, at=now), StateChange(state=State.FAILED, at=now)),
        inputs=dict(command.inputs),
        labels=dict(command.labels),
        trigger=command.trigger,
        parent=command.parent,
        created_at=now,
        ended_at=now,
        error=error,
    )
    result = StepResult(execution)
    result.logs.append(
        LogEntry(
            execution_id=execution.id,
            namespace=execution.namespace,
            flow_id=execution.flow_id,
            level=LogLevel.ERROR,
            timestamp=now,
            message=error,
        )
    )
    if command.parent is not None:
        result.commands.append(
            SubflowEnded(
                execution_id=command.parent.execution_id,
                task_run_id=command.parent.task_run_id,
                child_execution_id=execution.id,
                state=State.FAILED,
            )
        )
    return result


def step(execution: Execution | None, flow: Flow, event: Event, now: datetime) -> StepResult:
    """Apply `event` to `execution` (None before its create) running `flow`, at time `now`.

    Anything raised while applying it comes out as a `StepError` naming the task run being
    worked on, so the caller can fail the execution there (`failures.fail_execution`).
    """
    if isinstance(event, CreateExecution):
        if execution is not None:
            return StepResult(execution, changed=False, dropped=f"execution {execution.id} already exists")
        return _guarded(Run(new_execution(event, flow, now), plan_for(flow), now), event)
    if execution is None:
        return StepResult(None, changed=False, dropped="no such execution")
    if execution.namespace != flow.namespace or execution.flow_id != flow.id:
        raise FlowMismatchError(f"execution {execution.id} runs {execution.uid}, not {flow.uid}")
    if not isinstance(event, _EVENTS):
        raise TypeError(f"not an execution event: {type(event).__name__}")
    return _guarded(Run(execution, plan_for(flow), now), event)


_EVENTS = (AdmissionDecision, WorkerResult, TimersDue, KillExecution, ResumeExecution, RestartExecution, SubflowEnded)


def _guarded(run: Run, event: Event) -> StepResult:
    try:
        return _create(run, event) if isinstance(event, CreateExecution) else _apply(run, event)
    except Exception as exc:  # noqa: BLE001 - whatever escapes fails the execution, see failures.py
        raise StepError(exc, run.blame, _partial(run)) from exc


def _partial(run: Run) -> Execution | None:
    try:
        return run.snapshot()
    except Exception:  # noqa: BLE001 - the caller falls back to the execution before the step
        return None


def _apply(run: Run, event: Event) -> StepResult:
    if isinstance(event, AdmissionDecision):
        dropped = on_admission(run, event)
    elif isinstance(event, WorkerResult):
        dropped = on_worker_result(run, event)
    elif isinstance(event, TimersDue):
        dropped = on_timers(run)
    elif isinstance(event, KillExecution):
        dropped = on_kill(run, event)
    elif isinstance(event, ResumeExecution):
        dropped = on_resume(run, event)
    elif isinstance(event, RestartExecution):
        dropped = on_restart(run)
    elif isinstance(event, SubflowEnded):
        dropped = on_subflow_ended(run, event)
    else:  # a create goes to _create
        raise TypeError(f"no handler for a {type(event).__name__}")
    if dropped is not None:
        return StepResult(run.execution, changed=False, dropped=dropped)
    settle(run)
    return run.result()
