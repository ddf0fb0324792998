"""Date conditions: DateTimeBetween, DayWeek, DayWeekInMonth, PublicHoliday, TimeBetween, Weekend.

Each tests ``date`` (by default ``{{ trigger.date }}``), an ISO-8601 date or instant; the day
and time are read where the instant's offset says, as Kestra reads them, so a Schedule in
``Europe/Paris`` is judged on Paris days. Public holidays come from the ``holidays`` package
(Kestra uses the Jollyday library for the same calendars).
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import holidays

from harrier.core.conditions.base import ConditionContext, ConditionError
from harrier.core.conditions.reading import Declaration, Dynamic, rendered

__all__ = ["build_date_condition"]

_TRIGGER_DATE = "{{ trigger.date }}"
_DAYS = tuple(calendar.day_name[i].upper() for i in range(7))  # MONDAY first, as datetime.weekday()
_IN_MONTH = ("FIRST", "SECOND", "THIRD", "FOURTH", "LAST")


def parse_instant(value: Any) -> datetime:
    """An ISO-8601 instant (an offset-less one is UTC); a bare date is its midnight UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO-8601 date-time") from None
    else:
        raise ValueError(f"expected an ISO-8601 date-time, got {type(value).__name__}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _seconds_of_day(moment: datetime | time) -> float:
    """Like Java's OffsetTime order: the time of day minus its offset (not wrapped)."""
    offset = moment.utcoffset() or timedelta()
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6 - offset.total_seconds()


def parse_offset_time(value: Any) -> time:
    """``HH:MM[:SS][+HH:MM]``; without an offset the time is UTC."""
    if not isinstance(value, str):
        raise ValueError(f"expected a time like '16:00:00+02:00', got {value!r}")
    try:
        parsed = time.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 time like '16:00:00+02:00'") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _day_of_week(value: Any) -> int:
    if not isinstance(value, str) or value.upper() not in _DAYS:
        raise ValueError(f"expected one of {', '.join(_DAYS)}, got {value!r}")
    return _DAYS.index(value.upper())


def _day_in_month(value: Any) -> str:
    if not isinstance(value, str) or value.upper() not in _IN_MONTH:
        raise ValueError(f"expected one of {', '.join(_IN_MONTH)}, got {value!r}")
    return value.upper()


def _country(value: Any) -> str:
    if not isinstance(value, str) or value.upper() not in holidays.list_supported_countries():
        raise ValueError(f"unknown country code {value!r} (ISO 3166-1 alpha-2, like FR)")
    return value.upper()


@functools.lru_cache(maxsize=64)
def _calendar(country: str, subdivision: str | None) -> holidays.HolidayBase:
    try:
        return holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        raise ValueError(f"{country} has no holiday calendar") from None


@dataclass(frozen=True, slots=True)
class _Dated:
    """The ``date`` property every date condition has, and its test."""

    date: str
    kind: str
    args: tuple[Dynamic[Any] | None, ...]

    def test(self, context: ConditionContext) -> bool:
        variables = context.render_variables()
        moment = parse_instant_at(rendered(self.date, variables, "date"))
        values = [arg(variables) if arg is not None else None for arg in self.args]
        return bool(_TESTS[self.kind](moment, *values))


def parse_instant_at(value: Any) -> datetime:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ConditionError(("date",), str(exc)) from None


def _between(moment: datetime, after: datetime | None, before: datetime | None) -> bool:
    # Both bounds inclusive, as Kestra's DateTimeBetween.
    return (after is None or moment >= after) and (before is None or moment <= before)


def _time_between(moment: datetime, after: time | None, before: time | None) -> bool:
    # Both bounds exclusive, as Kestra's TimeBetween.
    now = _seconds_of_day(moment)
    return (after is None or now > _seconds_of_day(after)) and (before is None or now < _seconds_of_day(before))


def _day_week(moment: datetime, day: int) -> bool:
    return moment.weekday() == day


def _day_week_in_month(moment: datetime, day: int, which: str) -> bool:
    weeks = [week[day] for week in calendar.monthcalendar(moment.year, moment.month) if week[day]]
    wanted = weeks[-1] if which == "LAST" else weeks[_IN_MONTH.index(which)]
    return moment.day == wanted


def _weekend(moment: datetime) -> bool:
    return moment.weekday() >= 5


def _public_holiday(moment: datetime, country: str | None, subdivision: str | None) -> bool:
    try:
        return moment.date() in _calendar(country or "US", subdivision)
    except ValueError as exc:
        raise ConditionError(("country",), str(exc)) from None


_TESTS: Mapping[str, Any] = {
    "DateTimeBetween": _between,
    "TimeBetween": _time_between,
    "DayWeek": _day_week,
    "DayWeekInMonth": _day_week_in_month,
    "Weekend": _weekend,
    "PublicHoliday": _public_holiday,
}


def build_date_condition(name: str, declared: Declaration) -> _Dated:
    """Compile the date condition ``name``."""
    args: tuple[Dynamic[Any] | None, ...]
    if name in ("DateTimeBetween", "TimeBetween"):
        declared.known("date", "after", "before")
        parse = parse_instant if name == "DateTimeBetween" else parse_offset_time
        args = (declared.dynamic("after", parse, required=False), declared.dynamic("before", parse, required=False))
        if args == (None, None):
            raise ConditionError((), f"{name} needs after, before or both")
    elif name == "DayWeek":
        declared.known("date", "dayOfWeek")
        args = (declared.dynamic("dayOfWeek", _day_of_week),)
    elif name == "DayWeekInMonth":
        declared.known("date", "dayOfWeek", "dayInMonth")
        args = (declared.dynamic("dayOfWeek", _day_of_week), declared.dynamic("dayInMonth", _day_in_month))
    elif name == "Weekend":
        declared.known("date")
        args = ()
    else:
        declared.known("date", "country", "subDivision")
        country = declared.dynamic("country", _country, required=False)
        subdivision = declared.dynamic("subDivision", str, required=False)
        args = (country, subdivision)
        country_value, subdivision_value = declared.data.get("country") or "US", declared.data.get("subDivision")
        if subdivision is not None and "{{" not in str(country_value) + str(subdivision_value):
            if str(subdivision_value) not in _calendar(_country(country_value), None).subdivisions:
                raise ConditionError(("subDivision",), f"unknown subdivision {subdivision_value!r} of {country_value}")
    return _Dated(declared.template("date", _TRIGGER_DATE), name, args)
