from __future__ import annotations

import pytest

from harrier.core.states import State
from harrier.scheduler.conditions import compile_flow_matcher
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.upstream import ExecutionView


def execution(state: State = State.SUCCESS, namespace: str = "company.team.data", flow_id: str = "extract",
              labels: dict | None = None) -> ExecutionView:
    return ExecutionView("e1", namespace, flow_id, 1, state, 3, labels or {}, None, None)


def test_no_condition_fires_on_every_terminal_state_only() -> None:
    matcher = compile_flow_matcher({}, "t")
    assert matcher.matches(execution(State.FAILED)) and matcher.matches(execution(State.SUCCESS))
    assert not matcher.matches(execution(State.RUNNING)) and not matcher.matches(execution(State.PAUSED))


def test_flow_namespace_status_and_labels_conditions() -> None:
    matcher = compile_flow_matcher({"conditions": [
        {"type": "io.kestra.plugin.core.condition.ExecutionNamespace", "namespace": "company.team", "comparison": "PREFIX"},
        {"type": "io.kestra.core.models.conditions.types.ExecutionFlowCondition", "namespace": "company.team.data", "flowId": "extract"},
        {"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["SUCCESS", "WARNING"], "notIn": ["WARNING"]},
        {"type": "io.kestra.plugin.core.condition.ExecutionLabels", "labels": [{"key": "env", "value": "prod"}]},
    ]}, "t")
    assert matcher.matches(execution(labels={"env": "prod", "x": "y"}))
    assert not matcher.matches(execution(State.WARNING, labels={"env": "prod"}))
    assert not matcher.matches(execution(labels={"env": "dev"}))
    assert not matcher.matches(execution(flow_id="load", labels={"env": "prod"}))
    assert not matcher.matches(execution(namespace="other.team", labels={"env": "prod"}))


def test_preconditions_single_flow_with_states() -> None:
    matcher = compile_flow_matcher({"preconditions": {"id": "p", "flows": [
        {"namespace": "company.team.data", "flowId": "extract", "states": ["FAILED"]}]}}, "t")
    assert matcher.matches(execution(State.FAILED))
    assert not matcher.matches(execution(State.SUCCESS))


def test_states_may_include_paused() -> None:
    matcher = compile_flow_matcher({"states": ["PAUSED"]}, "t")
    assert matcher.matches(execution(State.PAUSED)) and not matcher.matches(execution(State.SUCCESS))


@pytest.mark.parametrize(("declaration", "message"), [
    ({"conditions": [{"type": "io.kestra.plugin.core.condition.DayWeek", "dayOfWeek": "MONDAY"}]},
     r"flows/x: triggers.t.conditions\[0\]: condition type 'DayWeek' is not supported"),
    ({"conditions": [{"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["DONE"]}]},
     r"conditions\[0\].in: 'DONE' is not a valid State"),
    ({"conditions": [{"type": "io.kestra.plugin.core.condition.ExecutionFlow", "namespace": "a"}]},
     r"conditions\[0\].flowId: expected a non-empty string"),
    ({"preconditions": {"flows": [{"namespace": "a"}, {"namespace": "b"}]}}, r"exactly one flow is supported"),
    ({"preconditions": {"flows": [{"namespace": "a"}], "timeWindow": {}}}, r"timeWindow not supported"),
])
def test_unsupported_or_invalid_conditions_say_where(declaration: dict, message: str) -> None:
    with pytest.raises(TriggerDefinitionError, match=message):
        compile_flow_matcher(declaration, "flows/x: triggers.t")
