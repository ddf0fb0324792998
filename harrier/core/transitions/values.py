"""Turning rendered values into what a flowable needs: a truth value, a list, a duration, a count."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from harrier.core.durations import parse_duration
from harrier.core.expressions.environment import to_text

__all__ = ["as_count", "as_duration", "as_list", "truthy"]

_FALSE_TEXT = frozenset({"", "false", "0", "null", "none"})


def truthy(value: Any) -> bool:
    """Kestra's truth: false, null, 0, empty collections and the texts `false`/`0`/`` are false."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_TEXT
    return bool(value)


def as_list(value: Any, where: str) -> list[Any]:
    """A list, or a JSON array written as text; ValueError naming `where` otherwise."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"{where}: expected a list or a JSON array, got the text {value[:60]!r}") from None
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ValueError(f"{where}: expected a list, got {to_text(value)[:60]!r}")


def as_duration(value: Any, where: str) -> timedelta:
    """A timedelta, or an ISO-8601 duration text; ValueError naming `where` otherwise."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    raise ValueError(f"{where}: expected an ISO-8601 duration, got {to_text(value)[:60]!r}")


def as_count(value: Any, where: str) -> int:
    """A non-negative integer (0 meaning unlimited); ValueError naming `where` otherwise."""
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected an integer, got {to_text(value)[:60]!r}") from None
    if count < 0:
        raise ValueError(f"{where}: expected 0 or more, got {count}")
    return count
