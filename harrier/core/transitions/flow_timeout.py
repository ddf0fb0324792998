"""The flow's `timeout`: a timer of the execution itself, not of a task run.

It is armed each time the execution starts RUNNING (its create, its admission past a
concurrency limit, a restart); paused time counts. Kestra's MAX_DURATION SLA counts from
creation instead; here a concurrency queue does not eat the budget, and a restart gets a
fresh one rather than a deadline already past. When it fires, the execution is stopped the
way a kill stops it and ends FAILED (`handlers.on_timers`), as that SLA with behavior FAIL
does. Like every timer it lives in the snapshot (`Execution.timers`), so the runtime's
`next_timer` sees it and a restore rebuilds it.
"""

from __future__ import annotations

from harrier.core.durations import format_duration
from harrier.core.executions import TimerKind
from harrier.core.states import State
from harrier.core.transitions.run import Run
from harrier.core.transitions.slas import arm_slas

__all__ = ["FLOW_TIMEOUT", "flow_timeout_error", "start_running"]

FLOW_TIMEOUT: TimerKind = "flow-timeout"


def start_running(run: Run) -> None:
    """Move the execution to RUNNING and arm the flow's timeout and MAX_DURATION slas from now."""
    run.move(State.RUNNING)
    timeout = run.flow.timeout
    if timeout is None and not run.flow.sla:
        return
    # A restart starts the clock again: never keep a deadline from an earlier run.
    run.disarm(None)
    if timeout is not None:
        run.arm(FLOW_TIMEOUT, None, run.now + timeout)
    arm_slas(run)


def flow_timeout_error(run: Run) -> str:
    """The execution's error when its flow timeout fired."""
    timeout = run.flow.timeout
    if timeout is None:
        # The execution's revision is gone and a newer one without a timeout stands in;
        # the deadline armed by the revision it started with still holds.
        return "flow timeout exceeded"
    return f"flow timeout {format_duration(timeout)} exceeded"
