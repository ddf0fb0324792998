"""Conditions met over a time window: MultipleCondition and the Flow trigger's ``preconditions``.

Each holds named sub-conditions. An execution that satisfies some of them marks them done in
the trigger's current window; the trigger fires once all are done in the same window, and
(``resetOnSuccess``, the default) the window then starts over. The window's state is data
(``ConditionWindow``) the caller keeps; ``advance`` is pure.

Windows, as Kestra's ``timeWindow`` types (times in ``timezone``, UTC by default):

- DURATION_WINDOW (default, ``window`` P1D): windows of ``window`` one after the other from
  midnight, shifted by ``windowAdvance``;
- SLIDING_WINDOW: ``window`` long from the first execution that counted;
- DAILY_TIME_DEADLINE: from midnight to ``deadline`` each day;
- DAILY_TIME_WINDOW: from ``startTime`` to ``endTime`` each day.

Outside its window (past a deadline, before a start time) an execution counts for nothing.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harrier.core.conditions.base import Condition, ConditionContext, ConditionError, Path
from harrier.core.conditions.executions import truthy
from harrier.core.conditions.reading import Declaration, rendered
from harrier.core.durations import parse_duration
from harrier.core.states import State

__all__ = ["ConditionWindow", "MultipleCondition", "TimeWindow", "WindowStep", "advance", "build_preconditions",
           "build_time_window", "deep_merge"]

_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
_TYPES = ("DURATION_WINDOW", "SLIDING_WINDOW", "DAILY_TIME_DEADLINE", "DAILY_TIME_WINDOW")
_MILLI = timedelta(milliseconds=1)


class ConditionWindow(BaseModel):
    """One multiple condition's current window: its bounds, the sub-conditions met, outputs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: datetime
    end: datetime
    results: dict[str, bool] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)

    def valid_at(self, now: datetime) -> bool:
        return self.start <= now < self.end


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A ``timeWindow`` (or MultipleCondition's window) declaration."""

    type: str = "DURATION_WINDOW"
    window: timedelta | None = None
    window_advance: timedelta | None = None
    deadline: time | None = None
    start_time: time | None = None
    end_time: time | None = None
    zone: str = "Etc/UTC"

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """The window holding ``now`` (a daily one may not hold it: past its deadline)."""
        local = now.astimezone(zoneinfo.ZoneInfo(self.zone))
        if self.type == "SLIDING_WINDOW":
            return now, now + (self.window or timedelta(days=1))
        if self.type in ("DAILY_TIME_DEADLINE", "DAILY_TIME_WINDOW"):
            opens = self.start_time if self.type == "DAILY_TIME_WINDOW" else time(0)
            closes = self.end_time if self.type == "DAILY_TIME_WINDOW" else self.deadline
            assert opens is not None and closes is not None
            day = local.date()
            return (datetime.combine(day, opens, local.tzinfo), datetime.combine(day, closes, local.tzinfo))
        length = self.window or timedelta(days=1)
        # Windows follow each other from midnight (shifted by windowAdvance), as Kestra's
        # documentation describes: PT6H with PT3H gives 03:00-09:00, 09:00-15:00, ...
        base = local.replace(hour=0, minute=0, second=0, microsecond=0) + (self.window_advance or timedelta())
        start = base + ((local - base) // length) * length
        return start, start + length - _MILLI


@dataclass(frozen=True, slots=True)
class MultipleCondition:
    """Named sub-conditions to meet within one window."""

    id: str
    window: TimeWindow
    reset_on_success: bool
    conditions: Mapping[str, Condition]


@dataclass(frozen=True, slots=True)
class WindowStep:
    """What one execution did to a window: the window to keep (None: none) and whether it fired."""

    window: ConditionWindow | None
    fired: bool
    outputs: dict[str, Any]


def advance(condition: MultipleCondition, window: ConditionWindow | None, context: ConditionContext,
            now: datetime) -> WindowStep:
    """Count the context's execution in ``condition``'s window at ``now``."""
    if window is None or not window.valid_at(now):
        start, end = condition.window.bounds(now)
        window = ConditionWindow(start=start, end=end)
        if not window.valid_at(now):
            return WindowStep(None, False, {})
    met = {key for key, sub in condition.conditions.items() if sub.test(context)}
    if not met:
        return WindowStep(window if window.results else None, False, {})
    outputs = window.outputs
    execution = context.execution
    if execution is not None and execution.outputs:
        outputs = deep_merge(outputs, execution.outputs)
    results = {**window.results, **dict.fromkeys(met, True)}
    window = window.model_copy(update={"results": results, "outputs": outputs})
    fired = all(results.get(key) for key in condition.conditions)
    if fired and condition.reset_on_success:
        return WindowStep(None, True, outputs)
    return WindowStep(window, fired, outputs)


def deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` merged in, mappings key by key (``update`` wins)."""
    merged = dict(base)
    for key, value in update.items():
        old = merged.get(key)
        merged[key] = deep_merge(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return merged


# -- declarations ------------------------------------------------------------------------


def _duration(value: Any, path: Path, *, positive: bool) -> timedelta:
    try:
        parsed = parse_duration(value) if isinstance(value, str) else None
    except ValueError as exc:
        raise ConditionError(path, str(exc)) from None
    if parsed is None:
        raise ConditionError(path, f"expected an ISO-8601 duration like PT1H, got {value!r}")
    if parsed < timedelta() or (positive and parsed == timedelta()):
        raise ConditionError(path, "must be a positive duration" if positive else "must not be negative")
    return parsed


def _time(value: Any, path: Path) -> time:
    try:
        if isinstance(value, str):
            return time.fromisoformat(value)
    except ValueError:
        pass
    raise ConditionError(path, f"expected a time of day like '09:00:00', got {value!r}")


def build_time_window(value: Any) -> TimeWindow:
    """A ``timeWindow`` mapping (paths relative to it)."""
    if value is None:
        return TimeWindow()
    if not isinstance(value, Mapping):
        raise ConditionError((), "expected a mapping")
    declared = Declaration(value)
    declared.known("type", "window", "windowAdvance", "deadline", "startTime", "endTime", "timezone")
    kind = value.get("type") or "DURATION_WINDOW"
    if kind not in _TYPES:
        raise ConditionError(("type",), f"expected one of {', '.join(_TYPES)}, got {kind!r}")
    zone = value.get("timezone") or "Etc/UTC"
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConditionError(("timezone",), f"unknown timezone {zone!r}") from None
    window = _duration(value["window"], ("window",), positive=True) if value.get("window") is not None else None
    advance_by = _duration(value["windowAdvance"], ("windowAdvance",), positive=False) \
        if value.get("windowAdvance") is not None else None
    found = {key: _time(value[key], (key,)) for key in ("deadline", "startTime", "endTime") if value.get(key) is not None}
    needs = {"DAILY_TIME_DEADLINE": ("deadline",), "DAILY_TIME_WINDOW": ("startTime", "endTime")}.get(kind, ())
    for key in needs:
        if key not in found:
            raise ConditionError((key,), f"required for {kind}")
    if kind == "DAILY_TIME_WINDOW" and found["startTime"] >= found["endTime"]:
        raise ConditionError(("endTime",), "must be after startTime")
    return TimeWindow(kind, window, advance_by, found.get("deadline"), found.get("startTime"), found.get("endTime"), zone)


def check_id(value: Any, path: Path) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ConditionError(path, "expected an id of letters, digits, '_' and '-'")
    return value


@dataclass(frozen=True, slots=True)
class _UpstreamFlow:
    """One entry of ``preconditions.flows``."""

    namespace: str
    flow_id: str | None
    states: frozenset[State] | None
    labels: Mapping[str, str] | None

    def test(self, context: ConditionContext) -> bool:
        e = context.execution
        if e is None or e.namespace != self.namespace or (self.flow_id is not None and e.flow_id != self.flow_id):
            return False
        if self.states is not None and e.state not in self.states:
            return False
        return self.labels is None or all(e.labels.get(k) == v for k, v in self.labels.items())


_FIELDS = ("FLOW_ID", "NAMESPACE", "STATE", "EXPRESSION")
_OPERATORS = ("EQUAL_TO", "NOT_EQUAL_TO", "IN", "NOT_IN", "IS_TRUE", "IS_FALSE", "IS_NULL", "IS_NOT_NULL",
              "STARTS_WITH", "ENDS_WITH", "REGEX", "CONTAINS")
_NEEDS_VALUE = ("EQUAL_TO", "NOT_EQUAL_TO", "STARTS_WITH", "ENDS_WITH", "REGEX", "CONTAINS")


@dataclass(frozen=True, slots=True)
class _Filter:
    field: str
    type: str
    value: str | None
    values: tuple[str, ...]

    def holds(self, context: ConditionContext) -> bool:
        e = context.execution
        if e is None:
            return False
        actual: str | None
        if self.field == "FLOW_ID":
            actual = e.flow_id
        elif self.field == "NAMESPACE":
            actual = e.namespace
        elif self.field == "STATE":
            actual = str(e.state)
        else:
            result = rendered(self.value or "", context.render_variables(), "value")
            actual = None if result is None else ("true" if truthy(result) else "false") if isinstance(result, bool) \
                else str(result)
        op, value = self.type, self.value or ""
        if op == "EQUAL_TO":
            return actual == value
        if op == "NOT_EQUAL_TO":
            return actual != value
        if op == "IN":
            return actual in self.values
        if op == "NOT_IN":
            return actual not in self.values
        if op in ("IS_TRUE", "IS_FALSE"):
            return truthy(actual) == (op == "IS_TRUE")
        if op in ("IS_NULL", "IS_NOT_NULL"):
            return (actual is None) == (op == "IS_NULL")
        if actual is None:
            return False
        if op == "STARTS_WITH":
            return actual.startswith(value)
        if op == "ENDS_WITH":
            return actual.endswith(value)
        if op == "REGEX":
            return re.fullmatch(value, actual) is not None
        return value in actual


@dataclass(frozen=True, slots=True)
class _Where:
    """One entry of ``preconditions.where``: its filters joined by AND or OR."""

    any_of: bool
    filters: tuple[_Filter, ...]

    def test(self, context: ConditionContext) -> bool:
        found = (f.holds(context) for f in self.filters)
        return any(found) if self.any_of else all(found)


def _upstream(value: Any, path: Path) -> _UpstreamFlow:
    if not isinstance(value, Mapping):
        raise ConditionError(path, "expected a mapping with namespace, flowId, states, labels")
    declared = Declaration(value)
    try:
        declared.known("namespace", "flowId", "states", "labels")
        labels = value.get("labels")
        if labels is not None and not isinstance(labels, Mapping):
            raise ConditionError(("labels",), "expected a mapping")
        return _UpstreamFlow(declared.text("namespace"), declared.optional_text("flowId"), declared.states("states"),
                             {str(k): str(v) for k, v in labels.items()} if labels is not None else None)
    except ConditionError as exc:
        raise exc.within(path) from None


def _filter(value: Any, path: Path) -> _Filter:
    if not isinstance(value, Mapping):
        raise ConditionError(path, "expected a mapping with field, type and value")
    Declaration(value).known("field", "type", "value", "values")
    field, op = value.get("field"), value.get("type")
    if field not in _FIELDS:
        raise ConditionError((*path, "field"), f"expected one of {', '.join(_FIELDS)}, got {field!r}")
    if op not in _OPERATORS:
        raise ConditionError((*path, "type"), f"expected one of {', '.join(_OPERATORS)}, got {op!r}")
    single, many = value.get("value"), value.get("values")
    if (op in _NEEDS_VALUE or field == "EXPRESSION") and not isinstance(single, str):
        raise ConditionError((*path, "value"), f"{op} on {field} needs a value")
    if op in ("IN", "NOT_IN") and not (isinstance(many, list) and many):
        raise ConditionError((*path, "values"), f"{op} needs a list of values")
    if field == "EXPRESSION":
        _checked(value, path)
    if op == "REGEX":
        try:
            re.compile(str(single))
        except re.error as exc:
            raise ConditionError((*path, "value"), f"invalid regular expression: {exc}") from None
    return _Filter(field, op, single, tuple(str(v) for v in many or ()))


def _checked(value: Mapping[str, Any], path: Path) -> None:
    try:
        Declaration(value).template("value")
    except ConditionError as exc:
        raise exc.within(path) from None


def _where(value: Any, path: Path) -> tuple[str, _Where]:
    if not isinstance(value, Mapping):
        raise ConditionError(path, "expected a mapping with id, operand and filters")
    Declaration(value).known("operand", "filters")
    key = check_id(value.get("id"), (*path, "id"))
    operand = value.get("operand") or "AND"
    if operand not in ("AND", "OR"):
        raise ConditionError((*path, "operand"), f"expected AND or OR, got {operand!r}")
    filters = value.get("filters")
    if not isinstance(filters, list) or not filters:
        raise ConditionError((*path, "filters"), "expected a non-empty list of filters")
    return key, _Where(operand == "OR", tuple(_filter(f, (*path, "filters", i)) for i, f in enumerate(filters)))


def build_preconditions(value: Any) -> MultipleCondition:
    """A Flow trigger's ``preconditions`` (paths relative to it)."""
    if not isinstance(value, Mapping):
        raise ConditionError((), "expected a mapping")
    Declaration(value).known("timeWindow", "resetOnSuccess", "flows", "where")
    key = check_id(value.get("id", "preconditions"), ("id",))
    conditions: dict[str, Condition] = {}
    flows, where = value.get("flows") or [], value.get("where") or []
    for name, entries in (("flows", flows), ("where", where)):
        if not isinstance(entries, list):
            raise ConditionError((name,), "expected a list")
    for i, entry in enumerate(flows):
        conditions[f"condition_{len(conditions) + 1}"] = _upstream(entry, ("flows", i))
    for i, entry in enumerate(where):
        filter_id, built = _where(entry, ("where", i))
        conditions[f"condition_{len(conditions) + 1}_{filter_id}"] = built
    if not conditions:
        raise ConditionError((), "preconditions need flows, where or both")
    try:
        window = build_time_window(value.get("timeWindow"))
    except ConditionError as exc:
        raise exc.within(("timeWindow",)) from None
    reset = Declaration(value).flag("resetOnSuccess", True)
    return MultipleCondition(key, window, reset, conditions)
