"""The sandboxed Jinja2 environment expressions run in.

On top of `ImmutableSandboxedEnvironment`:

- a mapping's keys win over its methods, so `outputs.concatenate.values.message` reads the
  `values` key (Kestra's OutputValues) rather than `dict.values`;
- private names (`__class__`, `_x`) and `mro` are refused with a HarrierExpressionError, and
  plain values (strings, lists, dates) expose only a short list of harmless attributes;
- `*`, `**`, `+`, `%` and `~` are checked before they build huge values; every loop step and
  call is charged to the render's budget (see `limits.py`);
- printed values look like Kestra's: booleans `true`/`false`, mappings and lists as JSON,
  null as an empty string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing
from jinja2.visitor import NodeTransformer

from harrier.core.durations import format_duration
from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions.limits import active_budget, check_printed_size, check_size

__all__ = ["HarrierEnvironment", "HarrierUndefined", "guard_tree", "to_text"]

_FORBIDDEN = frozenset({"mro", "func_globals", "gi_frame", "gi_code", "cr_frame", "f_locals"})


def _json_default(value: Any) -> Any:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def to_text(value: Any) -> str:
    """How a value prints inside a template: Kestra's rendering of booleans, null and JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        check_printed_size(value)
        try:
            return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()
        except orjson.JSONEncodeError:
            # Integers beyond 64 bits, for one; the standard library has no such limit.
            return json.dumps(value, default=_json_default, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    return str(value)


class HarrierUndefined(StrictUndefined):
    """An undefined value that fails on any use, naming what was missing.

    Attribute and item access stay undefined instead of failing (Pebble's behaviour), so
    `trigger.body.user is defined`, `... | default(x)` and `... ?? x` work on missing chains;
    printing, iterating, comparing or testing it still fails.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        return self

    def __getitem__(self, key: Any) -> Any:
        return self

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name = self._undefined_name
        obj = self._undefined_obj
        if obj is missing:
            return f"undefined variable {name!r}"
        if isinstance(obj, Mapping):
            keys = [str(k) for k in list(obj)[:10]]
            more = ", ..." if len(obj) > 10 else ""
            known = f" (keys: {', '.join(keys)}{more})" if keys else " (it is empty)"
            return f"undefined key {name!r}{known}"
        return f"{type(obj).__name__} value has no attribute or item {name!r}"


def _private(name: object) -> bool:
    return isinstance(name, str) and (name.startswith("_") or name in _FORBIDDEN)


def _refuse(name: str) -> HarrierExpressionError:
    return HarrierExpressionError(f"access to {name!r} is not allowed in expressions (private or internal name)")


def _guarded(iterable: Any) -> Iterator[Any]:
    budget = active_budget()
    for item in iterable:
        budget.step()
        yield item


def _concat(*parts: Any) -> str:
    texts = [to_text(p) for p in parts]
    check_size(sum(len(t) for t in texts))
    return "".join(texts)


_DATE_PARTS = frozenset({"year", "month", "day", "isoformat", "weekday", "isoweekday"})
_TIME_PARTS = frozenset({"hour", "minute", "second", "microsecond", "isoformat"})
# Attributes expressions may use on plain values. Anything else (`center`, `ljust`, `zfill`,
# `format`, ...) could build huge strings with no size check, and Kestra has none of them.
_ALLOWED: dict[type, frozenset[str]] = {
    str: frozenset({
        "upper", "lower", "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit", "title",
        "capitalize", "find", "rfind", "count", "index", "isdigit", "isalpha", "isalnum", "isspace", "islower",
        "isupper", "splitlines", "removeprefix", "removesuffix",
    }),
    dict: frozenset({"items", "keys", "values", "get"}),
    list: frozenset({"index", "count"}),
    tuple: frozenset({"index", "count"}),
    datetime: _DATE_PARTS | _TIME_PARTS | {"timestamp", "date", "time"},
    date: _DATE_PARTS,
    time: _TIME_PARTS,
    timedelta: frozenset({"days", "seconds", "microseconds", "total_seconds"}),
    int: frozenset(),
    float: frozenset(),
    bool: frozenset(),
}
_PERCENT = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(template: str) -> None:
    for width, precision in _PERCENT.findall(template):
        for number in (width, precision):
            if number == "*" or (number and int(number) > 1000):
                raise HarrierExpressionError("'%' formatting widths above 1000 (or '*') are not allowed")


class HarrierEnvironment(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment with Harrier's attribute rules, limits and printing."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=HarrierUndefined, autoescape=False, finalize=to_text, keep_trailing_newline=True)
        self.filters["harrier_guard"] = _guarded
        self.globals["harrier_concat"] = _concat

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Mapping keys first (data beats methods); private and unlisted attributes refused."""
        if type(obj) is dict or isinstance(obj, Mapping):
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        if _private(attribute):
            raise _refuse(attribute)
        allowed = _ALLOWED.get(type(obj))
        if allowed is not None and attribute not in allowed:
            if isinstance(obj, Mapping):
                return self.undefined(obj=obj, name=attribute)
            raise HarrierExpressionError(f"{type(obj).__name__} values have no attribute {attribute!r} in expressions")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """`obj[argument]`; falls back to the (checked) attribute of that name, like Jinja."""
        try:
            return obj[argument]
        except (TypeError, LookupError):
            if _private(argument):
                raise _refuse(argument) from None
            if isinstance(obj, Mapping) or not isinstance(argument, str):
                return self.undefined(obj=obj, name=argument)
            return self.getattr(obj, argument)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Every call is charged to the budget, bounded in depth (runaway macro recursion) and
        its string result checked (macros calling macros can double their output each level)."""
        budget = active_budget()
        budget.step()
        budget.call_depth += 1
        try:
            if budget.call_depth > budget.limits.max_call_depth:
                raise HarrierExpressionError(f"expression calls nest deeper than {budget.limits.max_call_depth}")
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.call_depth -= 1
        if isinstance(result, str):
            check_size(len(result))
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Check the size of `*`, `**`, `+` and `%` results before computing them."""
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    check_size(len(seq) * max(times, 0), "string" if isinstance(seq, str) else "sequence")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
                if right * abs(left).bit_length() > 100_000:
                    raise HarrierExpressionError(f"{left} ** {right} is too large")
        elif operator == "+":
            if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
                check_size(len(left) + len(right), "string" if isinstance(left, str) else "sequence")
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left)
        return super().call_binop(context, operator, left, right)


class _Guard(NodeTransformer):
    """Route loop iterables through the budget and `~` through the size check."""

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "harrier_guard", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Name(self, node: nodes.Name) -> nodes.Node:  # noqa: N802
        # Jinja binds `self` to a reference to the template itself (a Python object that would
        # leak into values and outputs); Pebble has no such name.
        if node.name == "self" and node.ctx == "load":
            raise TemplateSyntaxError("'self' is not defined in expressions", node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        call = nodes.Call(nodes.Name("harrier_concat", "load"), list(node.nodes), [], None, None, lineno=node.lineno)
        return call


def guard_tree(tree: nodes.Template, environment: HarrierEnvironment) -> nodes.Template:
    """Apply the loop and concatenation guards to a parsed template."""
    guarded: nodes.Template = _Guard().visit(tree)
    guarded.set_environment(environment)
    return guarded

