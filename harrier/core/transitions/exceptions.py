"""Errors of the execution logic.

TransitionError            base: an event cannot be applied at all
 +-- FlowMismatchError     the flow given to `step` is not the execution's flow
 +-- StepError             something raised while applying an event (failures.py): the
                           caller fails the execution with it
"""

from __future__ import annotations

from harrier.core.exceptions import HarrierError

__all__ = ["FlowMismatchError", "TransitionError"]


class TransitionError(HarrierError):
    """An event cannot be applied to an execution (a caller error, not a flow failure)."""


class FlowMismatchError(TransitionError):
    """`step` was given a flow other than the one the execution runs."""
