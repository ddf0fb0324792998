"""Each core condition against the examples of Kestra's documentation (and their edges)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest

from harrier.core.conditions import (
    ConditionContext,
    ConditionError,
    Kind,
    advance,
    build_preconditions,
    compile_conditions,
    condition_problems,
)
from harrier.core.states import State

C = "io.kestra.plugin.core.condition."
OLD = "io.kestra.core.models.conditions.types."
UTC = timezone.utc


@dataclass
class Upstream:
    namespace: str = "company.team"
    flow_id: str = "flow_a"
    state: State = State.SUCCESS
    labels: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    retried_states: frozenset[State] = frozenset()


def on(date: str, *conditions: dict[str, Any], kind: Kind = Kind.SCHEDULE) -> bool:
    """Whether a Schedule tick at ``date`` passes ``conditions``."""
    compiled = compile_conditions(list(conditions), kind)
    return compiled.test(ConditionContext({"trigger": {"date": date}}, "company.team", "myflow"))


def after(execution: Upstream, *conditions: dict[str, Any], variables: dict | None = None) -> bool:
    compiled = compile_conditions(list(conditions), Kind.FLOW)
    context = ConditionContext(variables or {"trigger": {"state": str(execution.state)}}, "company.team", "down", execution)
    return compiled.test(context)


# 2026-12-07 is a Monday; 2026-07-14 (Bastille Day) a Tuesday.
MONDAY, SUNDAY, BASTILLE = "2026-12-07T11:00:00+01:00", "2026-12-06T11:00:00+01:00", "2026-07-14T11:00:00+02:00"


@pytest.mark.parametrize("type_name", [C + "DayWeek", C + "DayWeekCondition", OLD + "DayWeekCondition", "DayWeek"])
def test_day_week_under_every_name(type_name: str) -> None:
    assert on(MONDAY, {"type": type_name, "dayOfWeek": "MONDAY"})
    assert not on(SUNDAY, {"type": type_name, "dayOfWeek": "MONDAY"})


def test_day_is_read_in_the_offset_of_the_date() -> None:
    # 23:30 on Sunday in UTC is already Monday in Paris.
    assert on("2026-12-07T00:30:00+01:00", {"type": C + "DayWeek", "dayOfWeek": "MONDAY"})
    assert not on("2026-12-06T23:30:00+00:00", {"type": C + "DayWeek", "dayOfWeek": "MONDAY"})


def test_day_week_in_month_first_monday_and_last() -> None:
    first = {"type": C + "DayWeekInMonth", "dayOfWeek": "MONDAY", "dayInMonth": "FIRST"}
    assert on(MONDAY, first)  # the 7th is December's first Monday
    assert not on("2026-12-14T11:00:00Z", first)
    assert on("2026-12-28T11:00:00Z", {**first, "dayInMonth": "LAST"})
    assert on("2026-12-21T11:00:00Z", {**first, "dayInMonth": "THIRD"})


def test_weekend() -> None:
    assert on(SUNDAY, {"type": C + "Weekend"}) and not on(MONDAY, {"type": OLD + "WeekendCondition"})


def test_not_and_or_as_documented() -> None:
    # "all days except Sunday", "Sundays and Mondays", "work days in France"
    not_sunday = {"type": C + "Not", "conditions": [{"type": C + "DayWeek", "dayOfWeek": "SUNDAY"}]}
    assert on(MONDAY, not_sunday) and not on(SUNDAY, not_sunday)
    either = {"type": C + "Or", "conditions": [{"type": C + "DayWeek", "dayOfWeek": "MONDAY"},
                                                {"type": C + "DayWeek", "dayOfWeek": "SUNDAY"}]}
    assert on(MONDAY, either) and on(SUNDAY, either) and not on("2026-12-08T11:00:00Z", either)
    work_days = {"type": C + "Not", "conditions": [{"type": C + "PublicHoliday", "country": "FR"}, {"type": C + "Weekend"}]}
    assert on(MONDAY, work_days) and not on(SUNDAY, work_days) and not on(BASTILLE, work_days)


def test_public_holiday_of_a_country_and_subdivision() -> None:
    assert on(BASTILLE, {"type": C + "PublicHoliday", "country": "FR"})
    assert not on(MONDAY, {"type": C + "PublicHoliday", "country": "FR"})
    # Whit Monday is a holiday in Alsace-Moselle only... both; Saint Stephen's day is Alsace's alone.
    assert on("2026-12-26T10:00:00+01:00", {"type": C + "PublicHoliday", "country": "DE", "subDivision": "BY"})
    assert not on("2026-08-15T10:00:00+02:00", {"type": C + "PublicHoliday", "country": "DE", "subDivision": "BE"})
    assert on("2026-08-15T10:00:00+02:00", {"type": C + "PublicHoliday", "country": "DE", "subDivision": "SL"})


def test_date_time_between_is_inclusive() -> None:
    after_only = {"type": C + "DateTimeBetween", "date": "{{ trigger.date }}", "after": "2025-12-31T23:59:59Z"}
    assert on("2026-01-01T00:05:00Z", after_only) and not on("2025-12-31T23:55:00Z", after_only)
    between = {"type": C + "DateTimeBetween", "after": "2025-01-01T00:00:00Z", "before": "2025-12-31T23:59:59Z"}
    assert on("2025-01-01T00:00:00Z", between) and on("2025-12-31T23:59:59Z", between)
    assert not on("2026-01-01T00:00:00Z", between)


def test_time_between_4pm_and_8pm_at_plus_two() -> None:
    window = {"type": C + "TimeBetween", "after": "16:00:00+02:00", "before": "20:00:00+02:00"}
    assert on("2026-06-01T17:30:00+02:00", window)
    assert on("2026-06-01T15:30:00+00:00", window)  # 17:30 at +02:00
    assert not on("2026-06-01T16:00:00+02:00", window)  # bounds are exclusive
    assert not on("2026-06-01T21:00:00+02:00", window)


def test_expression_truthiness() -> None:
    assert on(MONDAY, {"type": C + "Expression", "expression": "{{ trigger.date is defined }}"})
    assert not on(MONDAY, {"type": OLD + "VariableCondition", "expression": "{{ 1 > 2 }}"})
    assert not on(MONDAY, {"type": C + "ExpressionCondition", "expression": "{{ '  ' }}"})
    assert on(MONDAY, {"type": C + "Expression", "expression": "{{ flow.id == 'myflow' }}"})


def test_execution_outputs_as_documented() -> None:
    condition = {"type": C + "ExecutionOutputs", "expression": "{{ trigger.outputs.flow_a_output == 'hello' }}"}
    assert after(Upstream(outputs={"flow_a_output": "hello"}), condition)
    assert not after(Upstream(outputs={"flow_a_output": "bye"}), condition)
    assert not after(Upstream(outputs=None), condition)  # no outputs: false, not evaluated


def test_has_retry_attempt_in_and_not_in() -> None:
    condition = {"type": C + "HasRetryAttempt", "in": ["FAILED"]}
    assert after(Upstream(retried_states=frozenset({State.FAILED, State.SUCCESS})), condition)
    assert not after(Upstream(retried_states=frozenset()), condition)
    assert not after(Upstream(retried_states=frozenset({State.FAILED})), {**condition, "notIn": ["FAILED"]})
    assert not after(Upstream(retried_states=frozenset({State.FAILED})), {"type": C + "HasRetryAttempt"})


def test_flow_conditions_judge_the_declaring_flow() -> None:
    assert after(Upstream(), {"type": C + "FlowCondition", "namespace": "company.team", "flowId": "down"})
    assert not after(Upstream(), {"type": OLD + "FlowCondition", "namespace": "company.team", "flowId": "flow_a"})
    assert after(Upstream(), {"type": C + "FlowNamespaceCondition", "namespace": "company", "prefix": True})
    assert not after(Upstream(), {"type": C + "FlowNamespaceCondition", "namespace": "company"})


def test_execution_conditions_on_a_schedule_are_refused_but_outputs_is_allowed() -> None:
    problems = list(condition_problems([{"type": C + "ExecutionStatus", "in": ["SUCCESS"]},
                                        {"type": C + "ExecutionOutputs", "expression": "{{ true }}"}], Kind.SCHEDULE))
    assert problems == [((0, "type"), problems[0][1])] and "not a condition a Schedule trigger can test" in problems[0][1]


@pytest.mark.parametrize(("condition", "path", "message"), [
    ({"type": C + "DayWeek", "dayOfWeek": "MONDAYS"}, (0, "dayOfWeek"), "expected one of MONDAY"),
    ({"type": C + "DayWeek"}, (0, "dayOfWeek"), "required"),
    ({"type": C + "DayWeek", "dayOfWeek": "MONDAY", "day": 1}, (0, "day"), "unknown property 'day'"),
    ({"type": C + "DateTimeBetween"}, (0,), "needs after, before or both"),
    ({"type": C + "DateTimeBetween", "after": "yesterday"}, (0, "after"), "not an ISO-8601"),
    ({"type": C + "PublicHoliday", "country": "XX"}, (0, "country"), "unknown country code"),
    ({"type": C + "PublicHoliday", "country": "FR", "subDivision": "ZZ"}, (0, "subDivision"), "unknown subdivision"),
    ({"type": C + "Expression", "expression": "{{ 1 + }}"}, (0, "expression"), "invalid expression"),
    ({"type": C + "Not", "conditions": []}, (0, "conditions"), "non-empty list"),
    ({"type": C + "Or", "conditions": [{"type": C + "Nope"}]}, (0, "conditions", 0, "type"), "unknown condition type"),
    ({"type": "io.kestra.plugin.other.Weekend"}, (0, "type"), "unknown condition type"),
])
def test_problems_say_where(condition: dict, path: tuple, message: str) -> None:
    [(found_path, found)] = list(condition_problems([condition], Kind.SCHEDULE))
    assert found_path == path and message in found


def test_templated_property_is_rendered_when_tested() -> None:
    condition = {"type": C + "DayWeek", "dayOfWeek": "{{ trigger.day }}"}
    compiled = compile_conditions([condition], Kind.SCHEDULE)
    context = ConditionContext({"trigger": {"date": MONDAY, "day": "MONDAY"}}, "n", "f")
    assert compiled.test(context)
    with pytest.raises(ConditionError, match="expected one of"):
        compiled.test(ConditionContext({"trigger": {"date": MONDAY, "day": "LUNDI"}}, "n", "f"))


def test_multiple_condition_is_not_allowed_on_a_webhook() -> None:
    multiple = {"id": "m", "type": C + "MultipleCondition", "conditions": {"a": {"type": C + "Weekend"}}}
    assert "not allowed on a Webhook" in next(iter(condition_problems([multiple], Kind.WEBHOOK)))[1]


# -- windows ------------------------------------------------------------------------------


def _step(preconditions: dict, window: Any, execution: Upstream, now: datetime) -> Any:
    condition = build_preconditions(preconditions)
    return advance(condition, window, ConditionContext({}, "company.team", "down", execution), now)


TWO_FLOWS = {"id": "both", "flows": [{"namespace": "company.team", "flowId": "flow_a", "states": ["SUCCESS"]},
                                     {"namespace": "company.team", "flowId": "flow_b", "states": ["SUCCESS"]}]}


def test_preconditions_fire_once_both_flows_ended_in_the_same_day_then_reset() -> None:
    noon = datetime(2026, 12, 7, 12, tzinfo=UTC)
    first = _step(TWO_FLOWS, None, Upstream(flow_id="flow_a", outputs={"a": 1}), noon)
    assert not first.fired and first.window.results == {"condition_1": True}
    assert first.window.start == datetime(2026, 12, 7, tzinfo=UTC)
    again = _step(TWO_FLOWS, first.window, Upstream(flow_id="flow_a", state=State.FAILED), noon)
    assert not again.fired and again.window == first.window
    done = _step(TWO_FLOWS, first.window, Upstream(flow_id="flow_b", outputs={"b": 2}), noon)
    assert done.fired and done.window is None and done.outputs == {"a": 1, "b": 2}
    # The next day's window starts empty: flow_a of yesterday does not count.
    late = _step(TWO_FLOWS, first.window, Upstream(flow_id="flow_b"), datetime(2026, 12, 8, 1, tzinfo=UTC))
    assert not late.fired and late.window.results == {"condition_2": True}


def test_reset_on_success_false_keeps_firing_in_the_window() -> None:
    keep = {**TWO_FLOWS, "resetOnSuccess": False}
    noon = datetime(2026, 12, 7, 12, tzinfo=UTC)
    window = _step(keep, None, Upstream(flow_id="flow_a"), noon).window
    done = _step(keep, window, Upstream(flow_id="flow_b"), noon)
    assert done.fired and done.window is not None
    assert _step(keep, done.window, Upstream(flow_id="flow_a"), noon).fired


def test_daily_deadline_and_daily_time_window() -> None:
    by_nine = {"id": "bronze", "timeWindow": {"type": "DAILY_TIME_DEADLINE", "deadline": "09:00:00"},
               "flows": [{"namespace": "company.team", "flowId": "bronze_layer", "states": ["SUCCESS"]}]}
    bronze = Upstream(flow_id="bronze_layer")
    assert _step(by_nine, None, bronze, datetime(2026, 12, 7, 8, 30, tzinfo=UTC)).fired
    late = _step(by_nine, None, bronze, datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
    assert not late.fired and late.window is None
    morning = {**by_nine, "timeWindow": {"type": "DAILY_TIME_WINDOW", "startTime": "06:00:00", "endTime": "09:00:00",
                                         "timezone": "Europe/Paris"}}
    assert _step(morning, None, bronze, datetime(2026, 12, 7, 6, 30, tzinfo=UTC)).fired  # 07:30 in Paris
    assert not _step(morning, None, bronze, datetime(2026, 12, 7, 4, 30, tzinfo=UTC)).fired


def test_duration_and_sliding_windows() -> None:
    hourly = {**TWO_FLOWS, "timeWindow": {"type": "DURATION_WINDOW", "window": "PT6H", "windowAdvance": "PT3H"}}
    window = _step(hourly, None, Upstream(flow_id="flow_a"), datetime(2026, 12, 7, 10, tzinfo=UTC)).window
    assert (window.start.hour, window.end.hour) == (9, 14)
    sliding = {**TWO_FLOWS, "timeWindow": {"type": "SLIDING_WINDOW", "window": "PT1H"}}
    at = datetime(2026, 12, 7, 10, 20, tzinfo=UTC)
    window = _step(sliding, None, Upstream(flow_id="flow_a"), at).window
    assert window.start == at and (window.end - at).total_seconds() == 3600


def test_where_filters_with_and_or() -> None:
    alert = {"id": "company_namespace", "where": [{"id": "company", "filters": [
        {"field": "NAMESPACE", "type": "STARTS_WITH", "value": "company"}]}]}
    noon = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert _step(alert, None, Upstream(namespace="company.payroll"), noon).fired
    assert not _step(alert, None, Upstream(namespace="other"), noon).fired
    either = {"id": "w", "where": [{"id": "f", "operand": "OR", "filters": [
        {"field": "FLOW_ID", "type": "IN", "values": ["x", "y"]},
        {"field": "STATE", "type": "EQUAL_TO", "value": "FAILED"}]}]}
    assert _step(either, None, Upstream(flow_id="y"), noon).fired
    assert _step(either, None, Upstream(state=State.FAILED), noon).fired
    assert not _step(either, None, Upstream(), noon).fired


@pytest.mark.parametrize(("preconditions", "path", "message"), [
    ({"id": "p", "timeWindow": {"type": "DAILY_TIME_DEADLINE"}, "flows": [{"namespace": "a"}]},
     ("timeWindow", "deadline"), "required for DAILY_TIME_DEADLINE"),
    ({"id": "p", "timeWindow": {"type": "HOURLY"}, "flows": [{"namespace": "a"}]}, ("timeWindow", "type"), "expected one of"),
    ({"id": "p", "flows": [{"flowId": "a"}]}, ("flows", 0, "namespace"), "non-empty string"),
    ({"id": "p", "where": [{"id": "w", "filters": [{"field": "NAMESPACE", "type": "IN"}]}]},
     ("where", 0, "filters", 0, "values"), "needs a list of values"),
    ({"id": "bad id"}, ("id",), "expected an id"),
    ({"id": "p"}, (), "need flows, where or both"),
])
def test_precondition_problems_say_where(preconditions: dict, path: tuple, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        build_preconditions(preconditions)
    assert caught.value.path == path and message in caught.value.message


def test_flow_validation_reports_a_refused_condition_with_line_and_field() -> None:
    from harrier.core.validation import validate_text

    _, problems = validate_text("""id: f
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k
    conditions:
      - type: io.kestra.plugin.core.condition.MultipleCondition
        id: m
        conditions: {}
  - id: flow
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: p
      timeWindow:
        type: DAILY_TIME_WINDOW
        startTime: "09:00:00"
        endTime: "08:00:00"
      flows:
        - namespace: company.team
""", file="flows/f.yml")
    assert [(p.file, p.line, p.path) for p in problems] == [
        ("flows/f.yml", 12, "triggers[0].conditions[0].type"),
        ("flows/f.yml", 22, "triggers[1].preconditions.timeWindow.endTime"),
    ]
