"""Trigger conditions, as Kestra's core ones: compiled once, tested as pure functions.

``compile_conditions(declared, kind)`` turns a trigger's ``conditions`` into ``Conditions``;
``condition_problems`` lists what the scheduler would refuse (``harrier flow validate``
reports them with file, line and field); ``build_preconditions`` compiles a Flow trigger's
``preconditions``; ``advance`` counts an execution in a windowed condition's state.
"""

from __future__ import annotations

from harrier.core.conditions.base import Condition, ConditionContext, ConditionError, ExecutionFacts, Kind
from harrier.core.conditions.compile import Conditions, compile_conditions, condition_problems
from harrier.core.conditions.executions import ExecutionCheck, truthy
from harrier.core.conditions.windows import (
    ConditionWindow,
    MultipleCondition,
    TimeWindow,
    WindowStep,
    advance,
    build_preconditions,
    deep_merge,
)

__all__ = [
    "Condition",
    "ConditionContext",
    "ConditionError",
    "ConditionWindow",
    "Conditions",
    "ExecutionCheck",
    "ExecutionFacts",
    "Kind",
    "MultipleCondition",
    "TimeWindow",
    "WindowStep",
    "advance",
    "build_preconditions",
    "compile_conditions",
    "condition_problems",
    "deep_merge",
    "truthy",
]
