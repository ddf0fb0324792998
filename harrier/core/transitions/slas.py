"""The flow's `sla` list (`harrier.core.sla`), applied by the executor.

A MAX_DURATION sla is a timer of the execution, armed with the flow's timeout each time the
execution starts RUNNING (`flow_timeout.start_running`), so it counts from there like the
timeout does; its timer carries the sla's id. EXECUTION_ASSERTION slas are checked once, when
the execution's outcome is known (`engine.end_execution`). A violation adds the sla's labels
and logs why; its behavior then says whether the execution goes on (NONE), or ends FAILED or
CANCELLED.
"""

from __future__ import annotations

from harrier.core.durations import format_duration
from harrier.core.exceptions import HarrierExpressionError
from harrier.core.executions import TimerKind
from harrier.core.sla import SLA
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel
from harrier.core.transitions.contexts import render_for
from harrier.core.transitions.needs import needs_of
from harrier.core.transitions.run import Run
from harrier.core.transitions.values import truthy

__all__ = ["SLA_TIMER", "arm_slas", "assertion_outcome", "max_duration_reason", "violate"]

SLA_TIMER: TimerKind = "sla"
_ENDS = {"FAIL": State.FAILED, "CANCEL": State.CANCELLED}


def arm_slas(run: Run) -> None:
    """Arm a timer for each MAX_DURATION sla of the flow, from now."""
    for sla in run.flow.sla or ():
        if sla.duration is not None and sla.type == "MAX_DURATION":
            run.arm(SLA_TIMER, None, run.now + sla.duration, sla_id=sla.id)


def violate(run: Run, sla: SLA, reason: str) -> State | None:
    """Record a violation (labels, a log line, the error); the state it ends the execution
    in, or None when its behavior is NONE."""
    message = f"sla {sla.id} violated: {reason}"
    if sla.labels:
        run.fields["labels"] = {**run.fields.get("labels", run.execution.labels), **sla.labels}
    end = _ENDS.get(sla.behavior)
    run.log(LogLevel.ERROR if end is not None else LogLevel.WARN, message)
    if end is not None:
        run.fields["error"] = message
    return end


def max_duration_reason(sla: SLA) -> str:
    """Why a MAX_DURATION sla fired."""
    duration = format_duration(sla.duration) if sla.duration is not None else "?"
    return f"the execution ran longer than {duration}"


def assertion_outcome(run: Run, state: State) -> State:
    """Check the EXECUTION_ASSERTION slas of an execution about to end in `state`: the state
    it ends in after them."""
    for sla in run.flow.sla or ():
        if sla.type != "EXECUTION_ASSERTION" or sla.assert_ is None:
            continue
        try:
            where = f"sla.{sla.id}.assert"
            held = truthy(render_for(run, None, None, sla.assert_, where, needs_of([sla.assert_])))
            reason = f"assertion is false: {sla.assert_}"
        except HarrierExpressionError as exc:
            held, reason = False, str(exc)
        if not held:
            end = violate(run, sla, reason)
            if end is not None:
                return end
    return state
