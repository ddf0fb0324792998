"""Fail: end the task run (and so the execution) in FAILED, when a condition holds."""

from __future__ import annotations

from typing import Any

from harrier.core.tasks import Fail
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure

__all__ = ["is_truthy", "run_fail"]

# Kestra's TruthUtils: these strings are false, any other non-empty string is true.
_FALSE_TEXT = frozenset({"false", "0", "-0", "", "null", "none"})


def is_truthy(value: Any) -> bool:
    """Whether a rendered condition holds, with Kestra's rules for strings."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_TEXT
    return bool(value)


def run_fail(task: Fail, context: RunContext) -> None:
    """Raise `errorMessage` when `condition` is unset or truthy; succeed otherwise."""
    if task.condition is not None and not is_truthy(task.condition):
        context.logger.debug(f"condition {task.condition!r} is false: not failing")
        return
    raise TaskFailure(task.error_message)
