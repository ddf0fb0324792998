"""Reading a condition's declaration: typed properties, static or rendered at test time.

A property written as a template (``"{{ ... }}"``) is checked for syntax when compiled and
rendered with the context's variables when tested; a plain value is parsed once, when
compiled, so a bad one is refused at deploy with its path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from harrier.core.conditions.base import ConditionError
from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions import check_syntax, render
from harrier.core.states import State

__all__ = ["Declaration", "Dynamic"]

T = TypeVar("T")

# A property's value for given variables.
Dynamic = Callable[[Mapping[str, Any]], T]


class Declaration:
    """One condition's mapping, read property by property."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def known(self, *keys: str) -> None:
        """Refuse a property the condition does not have (a typo would silently match all)."""
        for key in self.data:
            if key not in ("type", "id", *keys):
                expected = ", ".join(keys) or "no property"
                raise ConditionError((key,), f"unknown property {key!r} (expected {expected})")

    def text(self, key: str) -> str:
        """A required non-empty string."""
        value = self.data.get(key)
        if not isinstance(value, str) or not value:
            raise ConditionError((key,), "expected a non-empty string")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.text(key)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise ConditionError((key,), f"expected true or false, got {value!r}")
        return value

    def states(self, key: str) -> frozenset[State] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise ConditionError((key,), "expected a list of states")
        try:
            return frozenset(State(item) for item in value)
        except ValueError as exc:
            raise ConditionError((key,), f"{exc}; states are {', '.join(State)}") from None

    def template(self, key: str, default: str | None = None) -> str:
        """An expression (a template string), checked for syntax."""
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise ConditionError((key,), "expected an expression")
        try:
            check_syntax(value)
        except HarrierExpressionError as exc:
            raise ConditionError((key,), exc.reason) from None
        return value

    def dynamic(self, key: str, parse: Callable[[Any], T], *, required: bool = True) -> Dynamic[T] | None:
        """A property that may be a template: parsed now when static, at test time otherwise."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise ConditionError((key,), "required")
            return None
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            template = self.template(key)
            return lambda variables: _parsed(key, parse, rendered(template, variables, key))
        fixed = _parsed(key, parse, value)
        return lambda variables: fixed


def rendered(template: str, variables: Mapping[str, Any], key: str) -> Any:
    """Render ``template``; a failure is a ConditionError at ``key``."""
    try:
        return render(template, variables)
    except HarrierExpressionError as exc:
        raise ConditionError((key,), exc.reason) from None


def _parsed(key: str, parse: Callable[[Any], T], value: Any) -> T:
    try:
        return parse(value)
    except (ValueError, TypeError, KeyError) as exc:
        raise ConditionError((key,), str(exc) or f"invalid value {value!r}") from None
