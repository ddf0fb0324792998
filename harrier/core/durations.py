"""ISO-8601 durations (`PT30S`, `P1DT2H`), the only duration syntax flows accept."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "is_template", "parse_duration"]

# Years and months have no fixed length, so like Kestra (java.time.Duration) only days and
# smaller units are accepted.
_DURATION = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$",
    re.IGNORECASE,
)


def is_template(value: object) -> bool:
    """True when `value` is a string holding a `{{ }}` or `{% %}` template."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration such as `PT1M30S` or `P2D`; raise ValueError otherwise."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if match is None or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise ValueError(f"invalid duration {text!r}: expected ISO-8601 like PT30S, PT5M or P1D")
    parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v and k != "sign"}
    result = timedelta(
        days=parts.get("days", 0.0),
        hours=parts.get("hours", 0.0),
        minutes=parts.get("minutes", 0.0),
        seconds=parts.get("seconds", 0.0),
    )
    return -result if match.group("sign") == "-" else result


def format_duration(value: timedelta) -> str:
    """Format a timedelta as an ISO-8601 duration (`PT1M30S`)."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = f"{sign}P"
    if days:
        out += f"{int(days)}D"
    time = ""
    if hours:
        time += f"{int(hours)}H"
    if minutes:
        time += f"{int(minutes)}M"
    if seconds or not (days or hours or minutes):
        time += f"{seconds:g}S"
    return out + ("T" + time if time else "")
