"""Property types for task and trigger declarations.

Any property may hold a `{{ }}` template that is rendered at run time, so a typed property
(integer, boolean, list, duration, ...) accepts either a value of its type or a template
string. Validation errors carry messages written for flow authors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError

from harrier.core.durations import format_duration, is_template, parse_duration

__all__ = [
    "DynBool",
    "DynDict",
    "DynDuration",
    "DynFloat",
    "DynInt",
    "DynList",
    "DynStr",
    "Duration",
    "Id",
    "InputId",
    "Labels",
    "describe",
    "normalize_labels",
]

_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
# Input ids may hold dots: Kestra nests `a.b` under `inputs.a.b`.
_INPUT_ID = re.compile(r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$")


def describe(value: object) -> str:
    """Describe a YAML value for an error message: `string 'abc'`, `integer 5`, `a mapping`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _fail(expected: str, value: object) -> PydanticCustomError:
    return PydanticCustomError("harrier_type", "expected {expected}, got {got}", {"expected": expected, "got": describe(value)})


def _dynamic(expected: str, check: Callable[[Any], Any]) -> PlainValidator:
    def check_or_fail(value: Any) -> Any:
        try:
            return check(value)
        except (TypeError, ValueError):
            raise _fail(expected, value) from None

    return PlainValidator(lambda v: v if is_template(v) else check_or_fail(v))


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError
    return float(value)


def _bool(value: Any) -> bool:
    # Kestra's boolean properties are strings it renders, so a quoted "true" is fine too.
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise TypeError
    return value


def _str(value: Any) -> str:
    # YAML turns `message: 42` into an int; a string property takes it as written.
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError
    return value if isinstance(value, str) else str(value)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError
    return value


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "harrier_duration", "expected an ISO-8601 duration like PT30S, got {got}", {"got": describe(value)}
        )
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("harrier_duration", str(exc)) from None


def _id_check(pattern: re.Pattern[str], allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError("harrier_id", "expected an id string, got {got}", {"got": describe(value)})
        if not pattern.match(value) or len(value) > 100:
            raise PydanticCustomError(
                "harrier_id", f"invalid id {value!r}: use {allowed}, starting with a letter or digit"
            )
        return value

    return check


DynInt = Annotated[int | str, _dynamic("an integer or an expression", _int)]
DynFloat = Annotated[float | str, _dynamic("a number or an expression", _float)]
DynBool = Annotated[bool | str, _dynamic("a boolean or an expression", _bool)]
DynStr = Annotated[str, _dynamic("a string", _str)]
DynList = Annotated[list[Any] | str, _dynamic("a list or an expression", _list)]
DynDict = Annotated[dict[str, Any] | str, _dynamic("a mapping or an expression", _dict)]
def _dump_duration(value: timedelta | str) -> str:
    return format_duration(value) if isinstance(value, timedelta) else value


_DURATION_JSON = PlainSerializer(_dump_duration, return_type=str, when_used="json")
DynDuration = Annotated[timedelta | str, PlainValidator(lambda v: v if is_template(v) else _duration(v)), _DURATION_JSON]
Duration = Annotated[timedelta, PlainValidator(_duration), _DURATION_JSON]
Id = Annotated[str, PlainValidator(_id_check(_ID, "letters, digits, '_' and '-'"))]
InputId = Annotated[str, PlainValidator(_id_check(_INPUT_ID, "letters, digits, '.', '_' and '-'"))]


def normalize_labels(value: Any) -> dict[str, str]:
    """Accept labels as a mapping or as Kestra's list of `{key, value}`; return a mapping."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if isinstance(value, list) and all(isinstance(i, dict) and set(i) == {"key", "value"} for i in value):
        return {str(i["key"]): str(i["value"]) for i in value}
    raise PydanticCustomError(
        "harrier_type", "expected a mapping or a list of key/value pairs, got {got}", {"got": describe(value)}
    )


Labels = Annotated[dict[str, str], PlainValidator(normalize_labels)]
