"""Execution logic: `step(execution, flow, event, now)` applies one event and returns the new
execution with the worker tasks, worker controls, commands and logs to emit. Pure Python,
no Kafka import."""

from __future__ import annotations

from harrier.core.transitions.events import Event, TimersDue
from harrier.core.transitions.exceptions import FlowMismatchError, TransitionError
from harrier.core.transitions.failures import StepError, describe_error, fail_execution
from harrier.core.transitions.results import Command, StepResult
from harrier.core.transitions.snapshots import fail_oversize, oversize_error
from harrier.core.transitions.step import new_execution, reject, step

__all__ = [
    "Command",
    "Event",
    "FlowMismatchError",
    "StepError",
    "StepResult",
    "TimersDue",
    "TransitionError",
    "describe_error",
    "fail_execution",
    "fail_oversize",
    "new_execution",
    "oversize_error",
    "reject",
    "step",
]
