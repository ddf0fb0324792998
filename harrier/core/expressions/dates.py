"""Date parsing and formatting with Java `DateTimeFormatter` patterns, as Kestra's `date` filter.

Patterns such as `yyyy-MM-dd'T'HH:mm:ss.SSSXXX` are translated once to a list of parts and
cached; the common named formats (`iso`, `iso_sec`, ...) are accepted too.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable
from datetime import date, datetime, time, timezone
from typing import Any

from harrier.core.exceptions import HarrierExpressionError

__all__ = ["format_date", "to_datetime"]

_NAMED = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "iso_milli": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "iso_date": "yyyy-MM-dd",
    "iso_time": "HH:mm:ss",
    "iso_date_time": "yyyy-MM-dd'T'HH:mm:ss",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_seconds": "yyyy-MM-dd HH:mm:ss",
}
_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


def _offset(moment: datetime, colon: bool, zulu: bool) -> str:
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    if zulu and minutes == 0:
        return "Z"
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}" if colon else f"{sign}{hours:02d}{mins:02d}"


def _part(letter: str, count: int) -> Callable[[datetime], str]:
    simple = {
        "y": lambda d: f"{d.year % 100:02d}" if count == 2 else f"{d.year:0{count}d}",
        "u": lambda d: f"{d.year:0{count}d}",
        "d": lambda d: f"{d.day:0{count}d}",
        "H": lambda d: f"{d.hour:0{count}d}",
        "h": lambda d: f"{(d.hour % 12) or 12:0{count}d}",
        "m": lambda d: f"{d.minute:0{count}d}",
        "s": lambda d: f"{d.second:0{count}d}",
        "S": lambda d: f"{d.microsecond:06d}"[:count].ljust(count, "0"),
        "a": lambda d: "AM" if d.hour < 12 else "PM",
        "D": lambda d: f"{d.timetuple().tm_yday:0{count}d}",
        "X": lambda d: _offset(d, colon=count >= 3, zulu=True),
        "x": lambda d: _offset(d, colon=count >= 3, zulu=False),
        "Z": lambda d: _offset(d, colon=count >= 4, zulu=False),
        "z": lambda d: d.tzname() or "",
        "V": lambda d: str(getattr(d.tzinfo, "key", d.tzname() or "")),
    }
    if letter == "M":
        if count >= 4:
            return lambda d: d.strftime("%B")
        if count == 3:
            return lambda d: d.strftime("%b")
        return lambda d: f"{d.month:0{count}d}"
    if letter == "E":
        return (lambda d: d.strftime("%A")) if count >= 4 else (lambda d: d.strftime("%a"))
    if letter in simple:
        return simple[letter]
    raise HarrierExpressionError(f"unsupported date pattern letter {letter!r}")


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> tuple[Callable[[datetime], str] | str, ...]:
    parts: list[Callable[[datetime], str] | str] = []
    for match in _TOKEN.finditer(pattern):
        text = match.group(0)
        if text.startswith("'"):
            parts.append(text[1:-1].replace("''", "'") if text != "''" else "'")
        elif match.group(1):
            parts.append(_part(text[0], len(text)))
        else:
            parts.append(text)
    return tuple(parts)


def to_datetime(value: Any, zone: str | None = None) -> datetime:
    """A datetime from a datetime, date, ISO string or epoch seconds (naive values are UTC)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), tzinfo=timezone.utc)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, tz=timezone.utc)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise HarrierExpressionError(f"cannot read {value!r} as a date") from None
    else:
        raise HarrierExpressionError(f"cannot read {type(value).__name__} as a date")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if zone:
        try:
            moment = moment.astimezone(zoneinfo.ZoneInfo(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise HarrierExpressionError(f"unknown timezone {zone!r}") from None
    return moment


def format_date(value: Any, pattern: str = "iso", zone: str | None = None) -> str:
    """Format `value` with a Java DateTimeFormatter pattern or a named format."""
    moment = to_datetime(value, zone)
    parts = _compile(_NAMED.get(pattern, pattern))
    return "".join(p if isinstance(p, str) else p(moment) for p in parts)
