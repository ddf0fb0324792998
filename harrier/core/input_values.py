"""Input types and the coercion of one supplied value (a CLI or form string, or a typed value)."""

from __future__ import annotations

import enum
import json
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import yaml

from harrier.core.durations import format_duration, parse_duration
from harrier.core.sealing import is_sealed, seal, unseal
from harrier.core.secrets import register_secret

if TYPE_CHECKING:
    from harrier.core.inputs import Input

__all__ = ["InputType", "check_input", "coerce_input"]


class InputType(enum.StrEnum):
    """Input types, as Kestra names them."""

    STRING = "STRING"
    INT = "INT"
    FLOAT = "FLOAT"
    BOOL = "BOOL"
    BOOLEAN = "BOOLEAN"
    DATETIME = "DATETIME"
    DATE = "DATE"
    TIME = "TIME"
    DURATION = "DURATION"
    JSON = "JSON"
    YAML = "YAML"
    URI = "URI"
    EMAIL = "EMAIL"
    FILE = "FILE"
    SELECT = "SELECT"
    MULTISELECT = "MULTISELECT"
    ARRAY = "ARRAY"
    SECRET = "SECRET"


_T = InputType
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def coerce_input(declared: Input, value: Any) -> Any:
    """Coerce one value to `declared`'s type and check its rules; raise ValueError naming the rule."""
    kind = declared.type
    if kind is not _T.SECRET and is_sealed(value):
        # A secret passed on sealed (a Subflow's input rendered from one): a STRING keeps it
        # sealed, checked in clear; any other type needs the value itself.
        clear = unseal(value)
        if kind is _T.STRING:
            _string(declared, clear)
            return value
        value = clear
    converted = _CONVERTERS[kind](declared, value)
    _check_bounds(declared, converted)
    return converted


def check_input(declared: Input, value: Any) -> None:
    """Raise ValueError naming the rule `value` breaks; a SECRET is checked, not sealed (a flow's
    defaults are checked where no encryption key is set, e.g. by `flow validate`)."""
    if declared.type is InputType.SECRET:
        _string(declared, value)
    else:
        coerce_input(declared, value)


def _string(declared: Input, value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ValueError("expected a string")
    text = value if isinstance(value, str) else str(value)
    if declared.validator is not None and re.fullmatch(declared.validator, text) is None:
        raise ValueError(f"must match the pattern {declared.validator!r}")
    if declared.min_length is not None and len(text) < declared.min_length:
        raise ValueError(f"must be at least {declared.min_length} characters long")
    if declared.max_length is not None and len(text) > declared.max_length:
        raise ValueError(f"must be at most {declared.max_length} characters long")
    return text


def _secret(declared: Input, value: Any) -> dict[str, str]:
    # Checked in clear, kept sealed (harrier.core.sealing); a value sealed already (the
    # webserver sealed it, the executor checks it again) stays as it was.
    if is_sealed(value):
        _string(declared, unseal(value))
        return value  # type: ignore[no-any-return]
    text = _string(declared, value)
    register_secret(text)
    return seal(text)


def _int(declared: Input, value: Any) -> int:
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected an integer, got {value!r}")
    try:
        return int(value.strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected an integer, got {value!r}") from None


def _float(declared: Input, value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {value!r}") from None


def _bool(declared: Input, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"expected true or false, got {value!r}")


def _datetime(declared: Input, value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected an ISO-8601 date-time like 2024-01-31T12:00:00Z, got {value!r}") from None
    else:
        raise ValueError(f"expected an ISO-8601 date-time, got {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _date(declared: Input, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"expected a date like 2024-01-31, got {value!r}") from None


def _time(declared: Input, value: Any) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"expected a time like 13:45:00, got {value!r}") from None


def _duration(declared: Input, value: Any) -> Any:
    return parse_duration(str(value))


def _json(declared: Input, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise ValueError(f"invalid JSON: {exc}") from None


def _yaml(declared: Input, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML: {exc}") from None


def _uri(declared: Input, value: Any) -> str:
    text = str(value).strip()
    parsed = urlparse(text)
    if not parsed.scheme or not (parsed.netloc or parsed.path):
        raise ValueError(f"expected a URI with a scheme, like https://example.com, got {text!r}")
    return text


def _email(declared: Input, value: Any) -> str:
    text = _string(declared, value)
    if not _EMAIL.match(text):
        raise ValueError(f"expected an email address, got {text!r}")
    return text


def _select(declared: Input, value: Any) -> Any:
    allowed = declared.values or []
    if not declared.allow_custom_value and value not in allowed and str(value) not in map(str, allowed):
        raise ValueError(f"must be one of {', '.join(map(str, allowed))}; got {value!r}")
    return value


def _list_of(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    raise ValueError(f"expected a list or a JSON array, got {value!r}")


def _multiselect(declared: Input, value: Any) -> list[Any]:
    allowed = declared.values or declared.options or []
    items = _list_of(value)
    if not declared.allow_custom_value:
        for item in items:
            if item not in allowed:
                raise ValueError(f"every value must be one of {', '.join(map(str, allowed))}; got {item!r}")
    return items


def _array(declared: Input, value: Any) -> list[Any]:
    item_type = declared.item_type or _T.STRING
    # The item type alone, without the array's own rules.
    item_declaration = declared.model_copy(update={"type": item_type, "item_type": None, "validator": None, "min": None, "max": None})
    result = []
    for index, item in enumerate(_list_of(value)):
        try:
            result.append(_CONVERTERS[item_type](item_declaration, item))
        except ValueError as exc:
            raise ValueError(f"item {index}: {exc}") from None
    return result


def _bound(declared: Input, raw: Any) -> Any:
    if declared.type is _T.DURATION:
        return parse_duration(str(raw))
    if declared.type in (_T.DATETIME,):
        return _datetime(declared, raw)
    if declared.type is _T.DATE:
        return _date(declared, raw)
    if declared.type is _T.TIME:
        return _time(declared, raw)
    return raw


def _show(value: Any) -> str:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def _check_bounds(declared: Input, value: Any) -> None:
    low = declared.min if declared.min is not None else declared.after
    high = declared.max if declared.max is not None else declared.before
    if low is not None and value < _bound(declared, low):
        rule = "min" if declared.min is not None else "after"
        raise ValueError(f"must be {'>=' if rule == 'min' else 'after'} {low} ({rule}); got {_show(value)}")
    if high is not None and value > _bound(declared, high):
        rule = "max" if declared.max is not None else "before"
        raise ValueError(f"must be {'<=' if rule == 'max' else 'before'} {high} ({rule}); got {_show(value)}")


_CONVERTERS = {
    _T.STRING: _string,
    _T.SECRET: _secret,
    _T.INT: _int,
    _T.FLOAT: _float,
    _T.BOOL: _bool,
    _T.BOOLEAN: _bool,
    _T.DATETIME: _datetime,
    _T.DATE: _date,
    _T.TIME: _time,
    _T.DURATION: _duration,
    _T.JSON: _json,
    _T.YAML: _yaml,
    _T.URI: _uri,
    _T.EMAIL: _email,
    _T.FILE: _uri,
    _T.SELECT: _select,
    _T.MULTISELECT: _multiselect,
    _T.ARRAY: _array,
}
