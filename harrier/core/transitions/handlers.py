"""One handler per event: what a worker result, a timer, a kill, a resume, a restart or a
subflow's end does to an execution. Each returns None when it applied the event, or the
reason it dropped it (a duplicate or late result, a command that does not apply now).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from harrier.core.concurrency import AdmissionDecision, request_for
from harrier.core.durations import format_duration
from harrier.core.exceptions import InputValidationError
from harrier.core.executions import TaskRun
from harrier.core.inputs import coerce_inputs
from harrier.core.messages import KillExecution, ResumeExecution, SubflowEnded, WorkerControl, WorkerResult
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel, Task
from harrier.core.tasks.flowable import Pause, Subflow
from harrier.core.tasks.loops import WaitFor
from harrier.core.transitions.contexts import render_for
from harrier.core.transitions.engine import end_execution
from harrier.core.transitions.flow_timeout import FLOW_TIMEOUT, flow_timeout_error, start_running
from harrier.core.transitions.flowables import FAILED_LIKE
from harrier.core.transitions.moves import child_execution_id, dispatch, fail, fail_attempt, finish
from harrier.core.transitions.plans import SIDE_BRANCHES
from harrier.core.transitions.retries import retry_of
from harrier.core.transitions.run import Run
from harrier.core.transitions.slas import SLA_TIMER, max_duration_reason, violate
from harrier.core.transitions.values import truthy
from harrier.core.transitions.waitfor import LOOP_TIMER, next_round
from harrier.core.transitions.workingdirs import keep_directory_files

__all__ = [
    "on_admission",
    "on_kill",
    "on_restart",
    "on_resume",
    "on_subflow_ended",
    "on_timers",
    "on_worker_result",
    "restart_failed",
    "terminate",
]


def on_worker_result(run: Run, result: WorkerResult) -> str | None:
    """Apply the outcome of one attempt; drop it unless it ends the current, running attempt."""
    tr = run.get(result.task_run_id)
    if tr is None:
        return f"no task run {result.task_run_id}"
    attempt = tr.last_attempt
    if tr.state.terminal or attempt is None or attempt.number != result.attempt or attempt.state.terminal:
        return f"attempt {result.attempt} of task run {tr.id} already ended"
    if not result.state.terminal:
        return f"attempt {result.attempt} of task run {tr.id} reported {result.state}, not an outcome"
    run.blame = tr.id
    ended = attempt.replace(state=result.state, started_at=result.started_at, ended_at=result.ended_at, error=result.error)
    tr = run.put(tr.replace(attempts=(*tr.attempts[:-1], ended)))
    task = run.plan.task(tr.task_id)
    if result.state in (State.SUCCESS, State.WARNING):
        state = result.state
        retry = retry_of(task, run.flow) if len(tr.attempts) > 1 else None
        if state is State.SUCCESS and retry is not None and retry.warning_on_retry:
            state = State.WARNING
        if result.directory_files is not None:
            keep_directory_files(run, tr, result.directory_files)
        finish(run, tr, state, outputs=result.outputs or None)
    else:
        # A worker logs every error it reports (a salvaged result, whose worker task could
        # not be read, has no log of its own: its error stays on the task run).
        fail_attempt(run, tr, task, result.error or f"attempt {result.attempt} ended {result.state}",
                     logged=result.error is not None)
    return None


def on_timers(run: Run) -> str | None:
    """Fire every timer due at `run.now`, in due order: retries start, pauses end, task
    timeouts fail attempts, and the flow's timeout or a violated MAX_DURATION sla stops the
    whole execution."""
    due = sorted((t for t in run.timers if t.due <= run.now), key=lambda t: t.due)
    if not due:
        return "no timer is due"
    fired = set(due)
    run.timers = [t for t in run.timers if t not in fired]
    for timer in due:
        run.blame = timer.task_run_id
        if timer.kind == FLOW_TIMEOUT:
            if run.state in (State.RUNNING, State.PAUSED):
                _expire(run)
                # Everything is stopped: the timers due after this one have nothing left to act on.
                return None
            continue
        if timer.kind == SLA_TIMER:
            sla = next((s for s in run.flow.sla or () if s.id == timer.sla_id), None)
            if sla is not None and run.state in (State.RUNNING, State.PAUSED):
                end = violate(run, sla, max_duration_reason(sla))
                if end is not None:
                    terminate(run, end)
                    return None
            continue
        tr = run.get(timer.task_run_id) if timer.task_run_id is not None else None
        if tr is None or tr.state.terminal:
            continue
        task = run.plan.task(tr.task_id)
        if timer.kind == "retry" and tr.state is State.RETRYING:
            dispatch(run, tr, task)
        elif timer.kind == "pause" and tr.state is State.PAUSED and isinstance(task, Pause):
            _end_pause(run, tr, task)
        elif timer.kind == LOOP_TIMER and tr.state is State.RUNNING and isinstance(task, WaitFor):
            next_round(run, tr)
        elif timer.kind == "timeout" and tr.state is State.RUNNING:
            attempt = tr.last_attempt
            if attempt is None or attempt.number != timer.attempt or attempt.state.terminal:
                continue
            limit = task.timeout
            error = f"timed out after {format_duration(limit) if isinstance(limit, timedelta) else limit}"
            ended = attempt.replace(state=State.FAILED, ended_at=run.now, error=error)
            tr = run.put(tr.replace(attempts=(*tr.attempts[:-1], ended)))
            if isinstance(task, Subflow):
                # The child execution is killed; a Subflow is not retried.
                run.commands.append(KillExecution(execution_id=child_execution_id(tr)))
                fail(run, tr, error, task)
            else:
                run.controls.append(WorkerControl(execution_id=run.execution.id, task_run_id=tr.id))
                fail_attempt(run, tr, task, error)
    return None


def _expire(run: Run) -> None:
    # Stopped like a kill (worker tasks get kill controls, children are killed), but the
    # execution ends FAILED, as Kestra's MAX_DURATION SLA with behavior FAIL does. Its
    # errors and finally tasks do not run, as after a kill.
    run.fields["error"] = flow_timeout_error(run)
    run.log(LogLevel.ERROR, run.fields["error"])
    terminate(run, State.FAILED)


def _end_pause(run: Run, tr: TaskRun, task: Pause) -> None:
    if task.behavior == "RESUME":
        _resume_pause(run, tr, task)
    elif task.behavior == "WARN":
        finish(run, tr, State.WARNING)
    elif task.behavior == "FAIL":
        finish(run, tr, State.FAILED, error="pause duration elapsed (behavior FAIL)")
    else:
        run.log(LogLevel.INFO, "pause duration elapsed (behavior CANCEL): execution cancelled", tr)
        terminate(run, State.CANCELLED)


def terminate(run: Run, final: State) -> None:
    """Stop everything: kill running attempts on workers, kill children, end in `final`."""
    run.move(State.KILLING)
    ex = run.execution
    for tr in list(run.runs):
        if tr.state.terminal:
            continue
        task = run.plan.task(tr.task_id)
        attempt = tr.last_attempt
        attempts = tr.attempts
        if attempt is not None and not attempt.state.terminal:
            if not task.is_flowable:
                run.controls.append(WorkerControl(execution_id=ex.id, task_run_id=tr.id))
            elif isinstance(task, Subflow):
                run.commands.append(KillExecution(execution_id=child_execution_id(tr)))
            attempts = (*attempts[:-1], attempt.replace(state=State.KILLED, ended_at=run.now))
        run.put(tr.moved(State.KILLED, run.now, attempts=attempts))
    run.dirty.clear()
    end_execution(run, final)


def _resume_pause(run: Run, tr: TaskRun, task: Task, outputs: dict[str, Any] | None = None) -> None:
    """End a Pause as resumed; one with `tasks` (Kestra's deprecated form) runs them first."""
    if isinstance(task, Pause) and task.tasks:
        run.put(tr.moved(State.RUNNING, run.now, outputs=outputs))
        run.dirty.append(tr.id)
    else:
        finish(run, tr, State.SUCCESS, outputs=outputs)


def on_admission(run: Run, decision: AdmissionDecision) -> str | None:
    """The flow's concurrency owner decided: run the QUEUED execution, cancel or fail it."""
    if run.state is not State.QUEUED:
        return f"execution {decision.execution_id} is {run.state}, not QUEUED"
    if decision.decision == "RUN":
        start_running(run)
        if any(tr.state in FAILED_LIKE for tr in run.runs):
            restart_failed(run)
        else:
            run.dirty.append(None)
        return None
    run.fields["error"] = f"concurrency limit: {decision.reason or decision.decision}"
    run.log(LogLevel.WARN if decision.decision == "CANCEL" else LogLevel.ERROR, run.fields["error"])
    end_execution(run, State.CANCELLED if decision.decision == "CANCEL" else State.FAILED)
    return None


def on_kill(run: Run, command: KillExecution) -> str | None:
    """Kill the execution, its running worker tasks and its child executions."""
    if run.state.terminal:
        return f"execution {command.execution_id} already ended in {run.state}"
    run.log(LogLevel.INFO, "kill requested")
    terminate(run, State.KILLED)
    return None


def on_resume(run: Run, command: ResumeExecution) -> str | None:
    """End the PAUSED Pause task runs (with their onResume inputs as outputs)."""
    if run.state is not State.PAUSED:
        return f"execution {command.execution_id} is {run.state}, not PAUSED"
    paused = [tr for tr in run.runs if tr.state is State.PAUSED]
    ended = []
    for tr in paused:
        run.blame = tr.id
        task = run.plan.task(tr.task_id)
        outputs = None
        if isinstance(task, Pause) and task.on_resume:
            try:
                outputs = {"onResume": coerce_inputs(task.on_resume, command.inputs)}
            except InputValidationError as exc:
                return f"resume inputs of {task.id}: {exc}"
        ended.append((tr, outputs))
    for tr, outputs in ended:
        _resume_pause(run, tr, run.plan.task(tr.task_id), outputs)
    run.log(LogLevel.INFO, "resumed")
    return None


def on_subflow_ended(run: Run, event: SubflowEnded) -> str | None:
    """A child execution ended: end its Subflow task run with the child's state and outputs."""
    tr = run.get(event.task_run_id)
    if tr is None or tr.state.terminal or (tr.outputs or {}).get("executionId") != event.child_execution_id:
        return f"no running Subflow task run {event.task_run_id} waits for {event.child_execution_id}"
    task = run.plan.task(tr.task_id)
    if not isinstance(task, Subflow):
        return f"task run {tr.id} is not a Subflow"
    run.blame = tr.id
    attempt = tr.attempts[-1].replace(state=event.state, ended_at=run.now)
    outputs = {"executionId": event.child_execution_id, "state": str(event.state), "outputs": event.outputs}
    state = event.state
    if state in FAILED_LIKE:
        transmit = truthy(render_for(run, tr, task, task.transmit_failed, f"{task.id}.transmitFailed"))
        if transmit:
            state = State.WARNING if task.allow_failure else State.FAILED
        else:
            state = State.SUCCESS
    finish(run, tr, state, attempts=(*tr.attempts[:-1], attempt), outputs=outputs,
           error=f"subflow execution {event.child_execution_id} ended {event.state}" if state is State.FAILED else None)
    return None


def _failed_scope(run: Run, parent_id: str | None) -> bool:
    if parent_id is None:
        return True
    parent = run.get(parent_id)
    return parent is not None and parent.state in FAILED_LIKE


def _subtree(run: Run, roots: set[str]) -> set[str]:
    # Task runs are stored in creation order, so a parent always comes before its children.
    ids = set(roots)
    for tr in run.runs:
        if tr.parent_task_run_id in ids:
            ids.add(tr.id)
    return ids


def on_restart(run: Run) -> str | None:
    """Restart a FAILED or KILLED execution from its failed task runs.

    Failed runnable task runs get a new attempt. Failed flowables with failed children go
    back to RUNNING; other failed flowables (a Subflow, a Pause, a condition that did not
    render) are forgotten with their children and started afresh by their parent. Errors and
    finally branches that ran for a failed scope are forgotten too: they run again if the
    scope fails again.
    """
    if run.state not in (State.FAILED, State.KILLED):
        return f"execution {run.execution.id} is {run.state}; only FAILED or KILLED executions restart"
    run.fields.update(ended_at=None, error=None, outputs=None, outcome=None)
    if run.flow.concurrency is not None:
        # A restarted execution counts against the flow's limit again: it waits for admission.
        run.move(State.QUEUED)
        run.admissions.append(request_for(run.flow, run.execution.id, run.now))
        run.log(LogLevel.INFO, "restart waits for admission (flow concurrency limit)")
        return None
    start_running(run)
    restart_failed(run)
    return None


def restart_failed(run: Run) -> None:
    """Reset the failed task runs of a restarted execution (see `on_restart`)."""
    branch = run.plan.branch
    side = {
        tr.id
        for tr in run.runs
        if branch(tr.task_id) in SIDE_BRANCHES and _failed_scope(run, tr.parent_task_run_id)
    }
    if side:
        run.remove(_subtree(run, side))
    run.reset_tallies()
    failed = [tr for tr in run.runs if tr.state in FAILED_LIKE]
    parents_of_failed = {tr.parent_task_run_id for tr in failed}
    run.log(LogLevel.INFO, f"restarted from {len(failed)} failed task run(s)")
    forget: set[str] = set()
    for tr in failed:
        run.blame = tr.id
        task = run.plan.task(tr.task_id)
        if tr.id in parents_of_failed:
            run.put(tr.moved(State.RUNNING, run.now, error=None))
        elif not task.is_flowable:
            dispatch(run, tr, task)
        else:
            forget.add(tr.id)
            run.mark(tr)
    if forget:
        run.remove(_subtree(run, forget))
    run.dirty.append(None)
