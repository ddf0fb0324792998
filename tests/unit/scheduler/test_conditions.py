from __future__ import annotations

import pytest

from harrier.core.conditions import ConditionContext
from harrier.core.states import State
from harrier.scheduler.conditions import FlowMatcher, compile_flow_matcher
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.upstream import ExecutionView


def execution(state: State = State.SUCCESS, namespace: str = "company.team.data", flow_id: str = "extract",
              labels: dict | None = None) -> ExecutionView:
    return ExecutionView("e1", namespace, flow_id, 1, state, 3, labels or {}, None, None)


def matches(matcher: FlowMatcher, view: ExecutionView) -> bool:
    return matcher.matches(view, ConditionContext({"trigger": {"state": str(view.state)}}, "company.team", "down", view))


def test_no_condition_fires_on_every_terminal_state_only() -> None:
    matcher = compile_flow_matcher({}, "t")
    assert matches(matcher, execution(State.FAILED)) and matches(matcher, execution(State.SUCCESS))
    assert not matches(matcher, execution(State.RUNNING)) and not matches(matcher, execution(State.PAUSED))


def test_flow_namespace_status_labels_and_expression_conditions() -> None:
    matcher = compile_flow_matcher({"conditions": [
        {"type": "io.kestra.plugin.core.condition.ExecutionNamespace", "namespace": "company.team", "comparison": "PREFIX"},
        {"type": "io.kestra.core.models.conditions.types.ExecutionFlowCondition", "namespace": "company.team.data", "flowId": "extract"},
        {"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["SUCCESS", "WARNING"], "notIn": ["WARNING"]},
        {"type": "io.kestra.plugin.core.condition.ExecutionLabels", "labels": [{"key": "env", "value": "prod"}]},
        {"type": "io.kestra.plugin.core.condition.Expression", "expression": "{{ trigger.state == 'SUCCESS' }}"},
    ]}, "t")
    assert matches(matcher, execution(labels={"env": "prod", "x": "y"}))
    assert not matches(matcher, execution(State.WARNING, labels={"env": "prod"}))
    assert not matches(matcher, execution(labels={"env": "dev"}))
    assert not matches(matcher, execution(flow_id="load", labels={"env": "prod"}))
    assert not matches(matcher, execution(namespace="other.team", labels={"env": "prod"}))


def test_preconditions_and_multiple_conditions_are_windowed() -> None:
    matcher = compile_flow_matcher({
        "conditions": [{"id": "both", "type": "io.kestra.plugin.core.condition.MultipleCondition", "window": "PT1H",
                        "conditions": {"a": {"type": "io.kestra.plugin.core.condition.ExecutionFlow",
                                             "namespace": "n", "flowId": "a"}}}],
        "preconditions": {"id": "p", "flows": [{"namespace": "company.team.data", "flowId": "extract", "states": ["FAILED"]}]},
    }, "t")
    assert [m.id for m in matcher.multiple] == ["both", "p"]
    assert matches(matcher, execution(State.SUCCESS))  # the windows judge the rest


def test_states_may_include_paused() -> None:
    matcher = compile_flow_matcher({"states": ["PAUSED"]}, "t")
    assert matches(matcher, execution(State.PAUSED)) and not matches(matcher, execution(State.SUCCESS))


@pytest.mark.parametrize(("declaration", "message"), [
    ({"conditions": [{"type": "io.kestra.plugin.core.condition.Nope"}]},
     r"flows/x: triggers.t.conditions\[0\].type: unknown condition type"),
    ({"conditions": [{"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["DONE"]}]},
     r"conditions\[0\].in: 'DONE' is not a valid State"),
    ({"conditions": [{"type": "io.kestra.plugin.core.condition.ExecutionFlow", "namespace": "a"}]},
     r"conditions\[0\].flowId: expected a non-empty string"),
    ({"states": ["DONE"]}, r"triggers.t.states: 'DONE' is not a valid State"),
    ({"preconditions": {"flows": [{"namespace": "a"}], "timeWindow": {"type": "DAILY_TIME_WINDOW"}}},
     r"preconditions.timeWindow.startTime: required for DAILY_TIME_WINDOW"),
])
def test_unsupported_or_invalid_conditions_say_where(declaration: dict, message: str) -> None:
    with pytest.raises(TriggerDefinitionError, match=message):
        compile_flow_matcher(declaration, "flows/x: triggers.t")
