"""Functions and filters expressions can use, named as in Kestra.

Functions: range (inclusive), now, fromJson/json, render, secret, currentEachOutput, uuid,
randomInt, and the file functions of `files.py` (read, fileURI, fileSize, isFileEmpty,
fileExists). Filters: toJson/json, fromJson, date, dateAdd, timestamp, default, keys, values,
split, slugify, base64encode/base64decode, sha256/sha1/md5, number, chunk,
substringBefore/After(Last), plus Jinja's own (length, join, upper, lower, urlencode, ...),
some of them replaced by size-checked versions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context, Undefined
from slugify import slugify

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions.context import ERROR_LOGS, iteration_key
from harrier.core.expressions.dates import format_date, to_datetime
from harrier.core.expressions.environment import to_text
from harrier.core.expressions.files import FILE_FUNCTIONS
from harrier.core.expressions.formats import FORMAT_FILTERS, FORMAT_FUNCTIONS
from harrier.core.expressions.kv import KV_FUNCTIONS
from harrier.core.expressions.limits import LIMITS, active_budget, check_size
from harrier.core.secrets import read_secret

__all__ = ["FILTERS", "GLOBALS", "TESTS", "set_renderer"]

_render_hook: Callable[[str, Mapping[str, Any]], Any] | None = None


def set_renderer(hook: Callable[[str, Mapping[str, Any]], Any]) -> None:
    """Install the function `render()` calls (the renderer module installs itself)."""
    global _render_hook
    _render_hook = hook


def inclusive_range(start: int, end: int | None = None, step: int = 1) -> list[int]:
    """Kestra's `range(a, b)`: from a to b inclusive (one argument: 0..a inclusive)."""
    if end is None:
        start, end = 0, start
    for value in (start, end, step):
        if isinstance(value, bool) or not isinstance(value, int):
            raise HarrierExpressionError(f"range() needs integers, got {to_text(value)!r}")
    if step == 0:
        raise HarrierExpressionError("range() step must not be 0")
    stop = end + (1 if step > 0 else -1)
    size = len(range(start, stop, step))
    if size > LIMITS.max_range:
        raise HarrierExpressionError(f"range({start}, {end}) would have {size} items; the limit is {LIMITS.max_range}")
    return list(range(start, stop, step))


def now(timezone_name: str | None = None) -> datetime:
    """The current time, UTC unless a timezone is given."""
    return to_datetime(datetime.now(timezone.utc), timezone_name)


def from_json(value: Any) -> Any:
    """Parse a JSON string (values that are already parsed pass through)."""
    if not isinstance(value, (str, bytes)):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise HarrierExpressionError(f"fromJson: invalid JSON: {exc}") from None


def to_json(value: Any) -> str:
    """Serialize to compact JSON."""
    if isinstance(value, Undefined):
        raise HarrierExpressionError("toJson: the value is undefined")
    if isinstance(value, str):
        return json.dumps(value)
    return to_text(value) if isinstance(value, (dict, list, tuple)) else json.dumps(value, default=to_text)


@pass_context
def render_function(context: Context, template: Any, recursive: bool = True) -> Any:
    """Render a string holding an expression with the current variables; as Kestra's, again
    and again while the result still holds one (`recursive=false`: once). Depth bounded."""
    if not isinstance(template, str) or _render_hook is None:
        return template
    budget = active_budget()
    depth = budget.render_depth
    try:
        result: Any = template
        while isinstance(result, str) and ("{{" in result or "{%" in result):
            budget.render_depth += 1
            if budget.render_depth > budget.limits.max_render_depth:
                raise HarrierExpressionError(f"render() nests deeper than {budget.limits.max_render_depth}")
            rendered = _render_hook(result, context.get_all())
            if not recursive or rendered == result:
                return rendered
            result = rendered
        return result
    finally:
        budget.render_depth = depth


@pass_context
def current_each_output(context: Context, outputs: Any) -> Any:
    """The entry of `outputs.<task>` for the current ForEach iteration(s)."""
    values = [p.get("taskrun", {}).get("value") for p in reversed(context.get("parents") or [])]
    current = context.get("taskrun") or {}
    if current.get("value") is not None:
        values.append(current["value"])
    result = outputs
    for value in values:
        key = iteration_key(value)
        if isinstance(result, Mapping) and key in result:
            result = result[key]
    return result


@pass_context
def error_logs(context: Context) -> list[Any]:
    """Kestra's `errorLogs()`: the execution's error lines so far (task id, task run id,
    message, timestamp), oldest first."""
    found = context.get(ERROR_LOGS)
    return list(found) if isinstance(found, list) else []


def _default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    # Kestra's default also replaces null and the empty string.
    if isinstance(value, Undefined) or value is None or value == "" or (boolean and not value):
        return default_value
    return value


def _coalesce(value: Any, fallback: Any) -> Any:
    # Pebble's `??`: only undefined and null fall back (an empty string does not).
    return fallback if isinstance(value, Undefined) or value is None else value


def _keys(value: Mapping[str, Any]) -> list[Any]:
    return list(value.keys())


def _values(value: Mapping[str, Any]) -> list[Any]:
    return list(value.values())


def _split(value: str, delimiter: str = ",", limit: int = -1) -> list[str]:
    return str(value).split(delimiter, limit)


def _b64encode(value: Any) -> str:
    data = value.encode() if isinstance(value, str) else to_text(value).encode()
    return base64.b64encode(data).decode()


def _b64decode(value: str) -> str:
    try:
        return base64.b64decode(str(value), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise HarrierExpressionError("base64decode: the value is not base64-encoded UTF-8") from None


def _digest(name: str) -> Callable[[Any], str]:
    def digest(value: Any) -> str:
        return hashlib.new(name, to_text(value).encode()).hexdigest()

    return digest


def _date(value: Any, pattern: str = "iso", timeZone: str | None = None, timezone_name: str | None = None) -> str:  # noqa: N803
    return format_date(value, pattern, timeZone or timezone_name)


_UNITS = {"SECONDS": "seconds", "MINUTES": "minutes", "HOURS": "hours", "DAYS": "days", "WEEKS": "weeks", "MILLIS": "milliseconds"}


def _date_add(value: Any, amount: int, unit: str) -> datetime:
    key = _UNITS.get(str(unit).upper())
    if key is None:
        raise HarrierExpressionError(f"dateAdd: unknown unit {unit!r}; use one of {', '.join(_UNITS)}")
    return to_datetime(value) + timedelta(**{key: amount})


def _timestamp(value: Any) -> int:
    return int(to_datetime(value).timestamp())


def _number(value: Any) -> int | float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise HarrierExpressionError(f"number: cannot read {text!r} as a number") from None


def _chunk(value: list[Any], size: int) -> list[list[Any]]:
    if not isinstance(size, int) or size < 1:
        raise HarrierExpressionError("chunk: the size must be a positive integer")
    items = list(value)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _join(value: Any, separator: str = "", attribute: Any = None) -> str:
    items = [to_text(v) for v in value]
    check_size(sum(len(i) for i in items) + len(separator) * max(len(items) - 1, 0))
    return str(separator).join(items)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text, old, new = to_text(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if count is not None:
        hits = min(hits, count)
    check_size(len(text) + hits * max(len(new) - len(old), 0))
    return text.replace(old, new, -1 if count is None else count)


def _center(value: Any, width: int = 80) -> str:
    check_size(int(width))
    return to_text(value).center(int(width))


def _indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = to_text(value)
    pad = width if isinstance(width, str) else " " * int(width)
    check_size(len(text) + (text.count("\n") + 1) * len(pad))
    lines = text.split("\n")
    out = [(pad + line if (i or first) and (line or blank) else line) for i, line in enumerate(lines)]
    return "\n".join(out)


def _substring(before: bool, last: bool) -> Callable[[Any, str], str]:
    def cut(value: Any, separator: str) -> str:
        text = to_text(value)
        index = text.rfind(separator) if last else text.find(separator)
        if index < 0:
            return text if before else ""
        return text[:index] if before else text[index + len(separator) :]

    return cut


def _random_int(low: int, high: int) -> int:
    return random.randint(int(low), int(high) - 1)


def _sum(value: Any, attribute: Any = None, start: int | float = 0) -> int | float:
    # Numbers only: summing lists (`start=[]`) would multiply sizes past every check.
    total = start
    for item in value:
        if attribute is not None and isinstance(item, Mapping):
            item = item.get(attribute)
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise HarrierExpressionError(f"sum: expected numbers, got {to_text(item)!r}")
        total += item
    return total


def _to_string(value: Any) -> str:
    text = to_text(value)
    check_size(len(text))
    return text


GLOBALS: dict[str, Any] = {
    "range": inclusive_range,
    "now": now,
    "fromJson": from_json,
    "json": from_json,
    "render": render_function,
    "secret": read_secret,
    "currentEachOutput": current_each_output,
    "uuid": lambda: str(uuid.uuid4()),
    "randomInt": _random_int,
    "errorLogs": error_logs,
    **FILE_FUNCTIONS,
    **FORMAT_FUNCTIONS,
    # Pebble's literal for null (Jinja's is `none`).
    "null": None,
    **KV_FUNCTIONS,
}

FILTERS: dict[str, Any] = {
    "toJson": to_json,
    "json": to_json,
    "fromJson": from_json,
    "date": _date,
    "dateAdd": _date_add,
    "timestamp": _timestamp,
    "default": _default,
    "d": _default,
    "harrier_coalesce": _coalesce,
    "keys": _keys,
    "values": _values,
    "split": _split,
    "slugify": lambda value: slugify(to_text(value)),
    "base64encode": _b64encode,
    "base64decode": _b64decode,
    "sha256": _digest("sha256"),
    "sha1": _digest("sha1"),
    "md5": _digest("md5"),
    "number": _number,
    "chunk": _chunk,
    "join": _join,
    "replace": _replace,
    "center": _center,
    "indent": _indent,
    "string": _to_string,
    "sum": _sum,
    "tojson": to_json,
    "substringBefore": _substring(before=True, last=False),
    "substringBeforeLast": _substring(before=True, last=True),
    "substringAfter": _substring(before=False, last=False),
    "substringAfterLast": _substring(before=False, last=True),
    **FORMAT_FILTERS,
}

def _is_empty(value: Any) -> bool:
    # Pebble's `empty`: null, an empty string, list or map.
    return value is None or (isinstance(value, (str, list, tuple, dict)) and len(value) == 0)


def _is_json(value: Any) -> bool:
    # Pebble's `json`: a string that parses as JSON.
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def _contains(value: Any, item: Any) -> bool:
    # Pebble's `contains` operator (rewritten into this test by pebble.py).
    if isinstance(item, list) and not isinstance(value, str):
        return all(_contains(value, i) for i in item)
    if isinstance(value, str):
        return to_text(item) in value
    if isinstance(value, (Mapping, list, tuple)):
        return item in value
    raise HarrierExpressionError(f"contains: a {type(value).__name__} value holds nothing")


# Pebble's tests Jinja lacks (Jinja already has defined, even, odd, iterable).
TESTS: dict[str, Any] = {
    "harrier_contains": _contains,
    "empty": _is_empty,
    "json": _is_json,
    "map": lambda value: isinstance(value, Mapping),
    "null": lambda value: value is None,
}

# User-controlled widths or counts with no size-safe version: `format` (printf widths),
# `slice` and `batch` (a huge count loops or fills that many times), `pprint`/`wordwrap`/
# `xmlattr` (nothing Kestra has).
REMOVED_FILTERS = ("format", "wordwrap", "pprint", "xmlattr", "slice", "batch")
REMOVED_GLOBALS = ("lipsum", "namespace", "cycler", "joiner")
