"""Flow-trigger matching: does an upstream execution that just changed state fire a trigger?

Supported, with Kestra's names (``io.kestra.plugin.core.condition.X`` and the older
``io.kestra.core.models.conditions.types.XCondition``):

- ExecutionFlow: ``namespace`` and ``flowId`` of the upstream execution;
- ExecutionNamespace: ``namespace`` with ``comparison`` EQUALS (default), PREFIX or SUFFIX
  (``prefix: true`` is the older spelling of PREFIX);
- ExecutionStatus: ``in`` and/or ``notIn`` lists of states;
- ExecutionLabels: every given label present with the given value;
- ``preconditions.flows`` with a single entry (``namespace``, ``flowId``, ``states``).

Without a state filter a trigger fires on every terminal state. Anything else is rejected
when the trigger is loaded (``TriggerDefinitionError``), never silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harrier.core.states import TERMINAL, State
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.upstream import ExecutionView

__all__ = ["FlowMatcher", "compile_flow_matcher"]

Check = Callable[[ExecutionView], bool]


@dataclass(frozen=True, slots=True)
class FlowMatcher:
    """The compiled conditions of one flow trigger."""

    states: frozenset[State]
    checks: tuple[Check, ...]

    def matches(self, execution: ExecutionView) -> bool:
        """True when ``execution`` (in its current state) fires the trigger."""
        return execution.state in self.states and all(check(execution) for check in self.checks)


def compile_flow_matcher(declaration: Mapping[str, Any], where: str) -> FlowMatcher:
    """Compile a Flow trigger's ``conditions``, ``preconditions`` and ``states``."""
    checks: list[Check] = []
    states: set[State] | None = _states(declaration.get("states"), f"{where}.states")
    for i, condition in enumerate(declaration.get("conditions") or ()):
        at = f"{where}.conditions[{i}]"
        if not isinstance(condition, Mapping) or not isinstance(condition.get("type"), str):
            raise TriggerDefinitionError(f"{at}: a condition needs a type")
        name = _short_name(condition["type"])
        if name == "ExecutionStatus":
            allowed = _states(condition.get("in"), f"{at}.in")
            denied = _states(condition.get("notIn"), f"{at}.notIn") or set()
            states = (states if states is not None else set(State)) & (allowed or set(State)) - denied
        else:
            checks.append(_check(name, condition, at))
    preconditions = declaration.get("preconditions")
    if preconditions:
        check, pre_states = _preconditions(preconditions, f"{where}.preconditions")
        checks.append(check)
        if pre_states is not None:
            states = pre_states if states is None else states & pre_states
    return FlowMatcher(frozenset(TERMINAL if states is None else states), tuple(checks))


def _short_name(type_name: str) -> str:
    name = type_name.rsplit(".", 1)[-1]
    return name.removesuffix("Condition")


def _states(value: Any, at: str) -> set[State] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise TriggerDefinitionError(f"{at}: expected a list of states")
    try:
        return {State(item) for item in value}
    except ValueError as exc:
        raise TriggerDefinitionError(f"{at}: {exc}; states are {', '.join(State)}") from None


def _text(condition: Mapping[str, Any], key: str, at: str) -> str:
    value = condition.get(key)
    if not isinstance(value, str) or not value:
        raise TriggerDefinitionError(f"{at}.{key}: expected a non-empty string")
    return value


def _check(name: str, condition: Mapping[str, Any], at: str) -> Check:
    if name == "ExecutionFlow":
        namespace, flow_id = _text(condition, "namespace", at), _text(condition, "flowId", at)
        return lambda e: e.namespace == namespace and e.flow_id == flow_id
    if name == "ExecutionNamespace":
        namespace = _text(condition, "namespace", at)
        comparison = condition.get("comparison") or ("PREFIX" if condition.get("prefix") else "EQUALS")
        if comparison == "EQUALS":
            return lambda e: e.namespace == namespace
        if comparison == "PREFIX":
            return lambda e: e.namespace.startswith(namespace)
        if comparison == "SUFFIX":
            return lambda e: e.namespace.endswith(namespace)
        raise TriggerDefinitionError(f"{at}.comparison: expected EQUALS, PREFIX or SUFFIX, got {comparison!r}")
    if name == "ExecutionLabels":
        wanted = _labels(condition.get("labels"), f"{at}.labels")
        return lambda e: all(e.labels.get(k) == v for k, v in wanted.items())
    raise TriggerDefinitionError(
        f"{at}: condition type {name!r} is not supported by the scheduler "
        "(supported: ExecutionFlow, ExecutionNamespace, ExecutionStatus, ExecutionLabels)"
    )


def _labels(value: Any, at: str) -> dict[str, str]:
    # Kestra accepts a mapping or a list of {key, value}.
    if isinstance(value, Mapping) and value:
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(i, Mapping) and set(i) == {"key", "value"} for i in value):
        return {str(i["key"]): str(i["value"]) for i in value}
    raise TriggerDefinitionError(f"{at}: expected a non-empty mapping or list of {{key, value}}")


def _preconditions(value: Any, at: str) -> tuple[Check, set[State] | None]:
    if not isinstance(value, Mapping):
        raise TriggerDefinitionError(f"{at}: expected a mapping")
    unsupported = sorted(set(value) - {"id", "flows"})
    if unsupported:
        raise TriggerDefinitionError(f"{at}: {', '.join(unsupported)} not supported yet (only id and flows)")
    flows = value.get("flows") or []
    if len(flows) != 1 or not isinstance(flows[0], Mapping):
        raise TriggerDefinitionError(
            f"{at}.flows: exactly one flow is supported (a join of several flows over a time window is not)"
        )
    entry = flows[0]
    namespace = _text(entry, "namespace", f"{at}.flows[0]")
    flow_id = entry.get("flowId")
    states = _states(entry.get("states"), f"{at}.flows[0].states")
    if flow_id is None:
        return (lambda e: e.namespace == namespace), states
    return (lambda e: e.namespace == namespace and e.flow_id == flow_id), states
