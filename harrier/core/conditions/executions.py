"""Conditions on an execution and on the declaring flow.

ExecutionFlow, ExecutionNamespace, ExecutionStatus, ExecutionLabels, ExecutionOutputs and
HasRetryAttempt judge the context's execution (false when there is none, as on a Schedule);
FlowCondition and FlowNamespaceCondition, both deprecated in Kestra, judge the flow that
declares the trigger, as Kestra's do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harrier.core.conditions.base import ConditionContext, ConditionError, ExecutionFacts
from harrier.core.conditions.reading import Declaration, rendered
from harrier.core.expressions import to_text
from harrier.core.states import State

__all__ = ["ExecutionCheck", "build_execution_condition", "truthy"]


@dataclass(frozen=True, slots=True)
class ExecutionCheck:
    """A condition on the execution alone: ``check`` can be called without a context."""

    check: Callable[[ExecutionFacts], bool]

    def test(self, context: ConditionContext) -> bool:
        return context.execution is not None and self.check(context.execution)


@dataclass(frozen=True, slots=True)
class _OnFlow:
    check: Callable[[str, str], bool]

    def test(self, context: ConditionContext) -> bool:
        return self.check(context.flow_namespace, context.flow_id)


@dataclass(frozen=True, slots=True)
class _Outputs:
    expression: str

    def test(self, context: ConditionContext) -> bool:
        execution = context.execution
        if execution is None or not execution.outputs:
            return False
        variables = context.render_variables()
        trigger = {**(variables.get("trigger") or {}), "outputs": execution.outputs}
        return truthy(rendered(self.expression, {**variables, "trigger": trigger}, "expression"))


def truthy(value: Any) -> bool:
    """Kestra's reading of a condition's rendered value: blank and ``false`` are false."""
    text = to_text(value).strip()
    return bool(text) and text != "false"


def _namespace_match(namespace: str, comparison: str) -> Callable[[str], bool]:
    if comparison == "EQUALS":
        return lambda value: value == namespace
    if comparison == "PREFIX":
        return lambda value: value.startswith(namespace)
    if comparison == "SUFFIX":
        return lambda value: value.endswith(namespace)
    raise ConditionError(("comparison",), f"expected EQUALS, PREFIX or SUFFIX, got {comparison!r}")


def _labels(value: Any) -> dict[str, str]:
    # Kestra accepts a mapping or a list of {key, value}.
    if isinstance(value, Mapping) and value:
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(i, Mapping) and set(i) == {"key", "value"} for i in value):
        return {str(i["key"]): str(i["value"]) for i in value}
    raise ConditionError(("labels",), "expected a non-empty mapping or list of {key, value}")


def build_execution_condition(name: str, declared: Declaration) -> Any:
    """Compile the execution or flow condition ``name``."""
    if name == "ExecutionFlow":
        declared.known("namespace", "flowId")
        namespace, flow_id = declared.text("namespace"), declared.text("flowId")
        return ExecutionCheck(lambda e: e.namespace == namespace and e.flow_id == flow_id)
    if name == "ExecutionNamespace":
        declared.known("namespace", "comparison", "prefix")
        prefix = declared.flag("prefix", False)
        comparison = declared.data.get("comparison") or ("PREFIX" if prefix else "EQUALS")
        match = _namespace_match(declared.text("namespace"), comparison)
        return ExecutionCheck(lambda e: match(e.namespace))
    if name == "ExecutionStatus":
        declared.known("in", "notIn")
        allowed, denied = declared.states("in"), declared.states("notIn") or frozenset()
        return ExecutionCheck(lambda e: (allowed is None or e.state in allowed) and e.state not in denied)
    if name == "ExecutionLabels":
        declared.known("labels")
        wanted = _labels(declared.data.get("labels"))
        return ExecutionCheck(lambda e: all(e.labels.get(k) == v for k, v in wanted.items()))
    if name == "ExecutionOutputs":
        declared.known("expression")
        return _Outputs(declared.template("expression"))
    if name == "HasRetryAttempt":
        declared.known("in", "notIn")
        # Kestra matches an attempt whose state is in ``in``: without it nothing matches.
        retried: frozenset[State] = (declared.states("in") or frozenset()) - (declared.states("notIn") or frozenset())
        return ExecutionCheck(lambda e: bool(e.retried_states & retried))
    if name == "FlowCondition":
        declared.known("namespace", "flowId")
        namespace, flow_id = declared.text("namespace"), declared.text("flowId")
        return _OnFlow(lambda ns, fid: ns == namespace and fid == flow_id)
    # FlowNamespaceCondition
    declared.known("namespace", "prefix")
    match = _namespace_match(declared.text("namespace"), "PREFIX" if declared.flag("prefix", False) else "EQUALS")
    return _OnFlow(lambda ns, fid: match(ns))
