"""From a trigger's ``conditions`` list to compiled conditions, under Kestra's type names.

A type is accepted as ``io.kestra.plugin.core.condition.X``, its older spellings
(``io.kestra.plugin.core.condition.XCondition``, ``io.kestra.core.models.conditions.types.XCondition``)
or the bare short name. Which types a trigger takes follows Kestra: a Schedule only those
Kestra marks as schedule conditions, a Webhook all but MultipleCondition, a Flow all of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from harrier.core.conditions.base import Condition, ConditionContext, ConditionError, Kind, Path
from harrier.core.conditions.dates import build_date_condition
from harrier.core.conditions.executions import build_execution_condition, truthy
from harrier.core.conditions.reading import Declaration, rendered
from harrier.core.conditions.windows import MultipleCondition, TimeWindow, build_time_window, check_id

__all__ = ["Conditions", "compile_conditions", "condition_problems"]

_PREFIXES = ("io.kestra.plugin.core.condition.", "io.kestra.core.models.conditions.types.")
_SCHEDULE = frozenset({"DateTimeBetween", "DayWeek", "DayWeekInMonth", "ExecutionOutputs", "Expression", "Not", "Or",
                       "PublicHoliday", "TimeBetween", "Weekend"})
_DATES = frozenset({"DateTimeBetween", "DayWeek", "DayWeekInMonth", "PublicHoliday", "TimeBetween", "Weekend"})
_EXECUTIONS = frozenset({"ExecutionFlow", "ExecutionNamespace", "ExecutionStatus", "ExecutionLabels", "ExecutionOutputs",
                         "HasRetryAttempt", "FlowCondition", "FlowNamespaceCondition"})
_NAMES = _DATES | _EXECUTIONS | {"Expression", "Not", "Or", "MultipleCondition"}
# Older names that are not the new name plus "Condition".
_RENAMED = {"VariableCondition": "Expression"}


@dataclass(frozen=True, slots=True)
class Conditions:
    """A trigger's compiled conditions: plain ones (all must hold) and windowed ones."""

    plain: tuple[Condition, ...] = ()
    multiple: tuple[MultipleCondition, ...] = ()

    def test(self, context: ConditionContext) -> bool:
        """True when every plain condition holds (windowed ones are the caller's to count)."""
        return all(condition.test(context) for condition in self.plain)


@dataclass(frozen=True, slots=True)
class _Expression:
    expression: str

    def test(self, context: ConditionContext) -> bool:
        return truthy(rendered(self.expression, context.render_variables(), "expression"))


@dataclass(frozen=True, slots=True)
class _AnyOf:
    conditions: tuple[Condition, ...]
    negate: bool

    def test(self, context: ConditionContext) -> bool:
        found = any(condition.test(context) for condition in self.conditions)
        return found != self.negate


def type_name_of(type_name: str) -> str | None:
    """The short name of a condition type, or None when it is not one."""
    name = type_name
    for prefix in _PREFIXES:
        if type_name.startswith(prefix):
            name = type_name[len(prefix):]
            break
    else:
        if "." in type_name:
            return None
    name = _RENAMED.get(name, name)
    if name in _NAMES:
        return name
    short = name.removesuffix("Condition")
    return short if short in _NAMES else None


def compile_conditions(declared: Any, kind: Kind) -> Conditions:
    """Compile a trigger's ``conditions``; ``ConditionError`` with its path (from the list)."""
    if declared is None:
        return Conditions()
    if not isinstance(declared, list):
        raise ConditionError((), "expected a list of conditions")
    plain: list[Condition] = []
    multiple: list[MultipleCondition] = []
    for i, item in enumerate(declared):
        built = _compile(item, kind, (i,))
        (multiple if isinstance(built, MultipleCondition) else plain).append(built)  # type: ignore[arg-type]
    return Conditions(tuple(plain), tuple(multiple))


def condition_problems(declared: Any, kind: Kind) -> Iterator[tuple[Path, str]]:
    """Every condition the scheduler would refuse: (path from the list, message)."""
    if declared is not None and not isinstance(declared, list):
        yield (), "expected a list of conditions"
        return
    for i, item in enumerate(declared or ()):
        try:
            _compile(item, kind, (i,))
        except ConditionError as exc:
            yield exc.path, exc.message


def _compile(item: Any, kind: Kind, path: Path) -> Condition | MultipleCondition:
    if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
        raise ConditionError(path, "a condition needs a type")
    name = type_name_of(item["type"])
    if name is None:
        raise ConditionError((*path, "type"), f"unknown condition type {item['type']!r}")
    if kind is Kind.SCHEDULE and name not in _SCHEDULE:
        raise ConditionError((*path, "type"), f"{name} is not a condition a Schedule trigger can test "
                             f"(it can: {', '.join(sorted(_SCHEDULE))})")
    if kind is Kind.WEBHOOK and name == "MultipleCondition":
        raise ConditionError((*path, "type"), "MultipleCondition is not allowed on a Webhook trigger")
    declared = Declaration(item)
    try:
        if name in _DATES:
            return build_date_condition(name, declared)
        if name in _EXECUTIONS:
            return build_execution_condition(name, declared)  # type: ignore[no-any-return]
        if name == "Expression":
            declared.known("expression")
            return _Expression(declared.template("expression"))
        if name in ("Not", "Or"):
            declared.known("conditions")
            return _AnyOf(_nested(item.get("conditions"), kind), negate=name == "Not")
        return _multiple(declared)
    except ConditionError as exc:
        raise exc.within(path) from None


def _nested(value: Any, kind: Kind) -> tuple[Condition, ...]:
    if not isinstance(value, list) or not value:
        raise ConditionError(("conditions",), "expected a non-empty list of conditions")
    built = []
    for i, item in enumerate(value):
        condition = _compile(item, kind, ("conditions", i))
        if isinstance(condition, MultipleCondition):
            raise ConditionError(("conditions", i, "type"), "a MultipleCondition cannot be nested")
        built.append(condition)
    return tuple(built)


def _multiple(declared: Declaration) -> MultipleCondition:
    """Kestra's (deprecated) MultipleCondition: named conditions met within a window."""
    declared.known("conditions", "window", "windowAdvance", "timeSLA", "sla", "resetOnSuccess")
    data = declared.data
    key = check_id(data.get("id"), ("id",))
    window_key = "timeSLA" if data.get("timeSLA") is not None else "sla"
    window: TimeWindow
    try:
        window = build_time_window({k: v for k, v in (data.get(window_key) or {}).items()} | {
            k: data[k] for k in ("window", "windowAdvance") if data.get(k) is not None})
    except ConditionError as exc:
        raise exc.within((window_key,) if data.get(window_key) is not None else ()) from None
    named = data.get("conditions")
    if not isinstance(named, Mapping) or not named:
        raise ConditionError(("conditions",), "expected a mapping of named conditions")
    conditions: dict[str, Condition] = {}
    for name, item in named.items():
        built = _compile(item, Kind.FLOW, ("conditions", str(name)))
        if isinstance(built, MultipleCondition):
            raise ConditionError(("conditions", str(name), "type"), "a MultipleCondition cannot be nested")
        conditions[str(name)] = built
    return MultipleCondition(key, window, declared.flag("resetOnSuccess", True), conditions)

