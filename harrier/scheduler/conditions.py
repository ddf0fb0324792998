"""Flow-trigger matching: does an upstream execution that just changed state fire a trigger?

A Flow trigger listens to ``states`` (every terminal state by default), then tests its plain
``conditions`` (every core condition: ``harrier.core.conditions``). Its windowed ones, a
MultipleCondition in ``conditions`` and ``preconditions``, are counted by the partition in
the trigger's state (``windows``): the trigger fires once each of them is met in its window.
A declaration the scheduler cannot run is refused when loaded (``TriggerDefinitionError``),
never silently ignored; ``harrier flow validate`` reports the same problems at deploy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harrier.core.conditions import (
    ConditionContext,
    ConditionError,
    Conditions,
    ExecutionCheck,
    Kind,
    MultipleCondition,
    build_preconditions,
    compile_conditions,
)
from harrier.core.states import TERMINAL, State
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.upstream import ExecutionView

__all__ = ["FlowMatcher", "compile_flow_matcher"]


@dataclass(frozen=True, slots=True)
class FlowMatcher:
    """The compiled conditions of one flow trigger."""

    states: frozenset[State]
    # Plain conditions on the execution alone, tested first without building a context (every
    # partition tests every Flow trigger against every ended execution), then the others.
    quick: tuple[Callable[[ExecutionView], bool], ...]
    conditions: Conditions
    # Windowed conditions, MultipleCondition ones first then the preconditions.
    multiple: tuple[MultipleCondition, ...] = ()

    @property
    def needs_context(self) -> bool:
        return bool(self.conditions.plain or self.multiple)

    def passes_quick(self, execution: ExecutionView) -> bool:
        """True when ``execution`` passes the states and the execution-only conditions."""
        return execution.state in self.states and all(check(execution) for check in self.quick)

    def matches(self, execution: ExecutionView, context: ConditionContext) -> bool:
        """True when ``execution`` passes the states and every plain condition."""
        return self.passes_quick(execution) and self.conditions.test(context)


def compile_flow_matcher(declaration: Mapping[str, Any], where: str) -> FlowMatcher:
    """Compile a Flow trigger's ``states``, ``conditions`` and ``preconditions``."""
    try:
        states = _states(declaration.get("states"))
    except ConditionError as exc:
        raise TriggerDefinitionError(_at(where, exc.path, exc)) from None
    try:
        conditions = compile_conditions(declaration.get("conditions"), Kind.FLOW)
    except ConditionError as exc:
        raise TriggerDefinitionError(_at(where, ("conditions", *exc.path), exc)) from None
    multiple = conditions.multiple
    preconditions = declaration.get("preconditions")
    if preconditions:
        try:
            multiple = (*multiple, build_preconditions(preconditions))
        except ConditionError as exc:
            raise TriggerDefinitionError(_at(where, ("preconditions", *exc.path), exc)) from None
    quick = tuple(c.check for c in conditions.plain if isinstance(c, ExecutionCheck))
    rest = tuple(c for c in conditions.plain if not isinstance(c, ExecutionCheck))
    return FlowMatcher(states, quick, Conditions(rest), multiple)


def _states(value: Any) -> frozenset[State]:
    if value is None:
        return frozenset(TERMINAL)
    if not isinstance(value, list):
        raise ConditionError(("states",), "expected a list of states")
    try:
        return frozenset(State(item) for item in value)
    except ValueError as exc:
        raise ConditionError(("states",), f"{exc}; states are {', '.join(State)}") from None


def _at(where: str, path: tuple[str | int, ...], exc: ConditionError) -> str:
    text = where
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return f"{text}: {exc.message}"
