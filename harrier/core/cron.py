"""Cron arithmetic in a timezone, with Kestra's 5- or 6-field (withSeconds) syntax.

croniter mishandles daylight-saving changes when it iterates over aware datetimes, so ticks
are computed on local wall-clock time (naive) and then placed in the zone:

- a wall time that does not exist (spring forward) fires at the same offset as before the
  gap, i.e. shifted forward by the gap (02:30 becomes 03:30);
- a wall time that occurs twice (fall back) fires once, at its first occurrence.

All instants going in and out are timezone-aware; results are in UTC.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from croniter import croniter

__all__ = ["CronSchedule", "cron_schedule"]

_EPSILON = timedelta(microseconds=1)


class CronSchedule:
    """One cron expression in one timezone (not thread-safe: one parsed iterator is reused)."""

    __slots__ = ("expression", "timezone", "with_seconds", "_iter", "_next", "_prev", "_zone")

    def __init__(self, expression: str, timezone_name: str = "Etc/UTC", with_seconds: bool = False) -> None:
        if not croniter.is_valid(expression, second_at_beginning=with_seconds):
            raise ValueError(f"invalid cron expression {expression!r}")
        self.expression = expression
        self.timezone = timezone_name
        self.with_seconds = with_seconds
        self._zone = zoneinfo.ZoneInfo(timezone_name)
        # Parsing the expression costs ~8x a step, so one parsed iterator is reset per call;
        # the scheduler loop is single-threaded.
        self._iter = croniter(expression, datetime(2000, 1, 1), second_at_beginning=with_seconds)
        # A firing asks for the same few instants several times (tick, next, previous).
        self._next: dict[datetime, datetime] = {}
        self._prev: dict[datetime, datetime] = {}

    def next_after(self, instant: datetime) -> datetime:
        """The first tick strictly after ``instant``."""
        found = self._next.get(instant)
        if found is None:
            found = self._remember(self._next, instant, self._compute_next(instant))
        return found

    def last_at_or_before(self, instant: datetime) -> datetime:
        """The latest tick at ``instant`` or earlier."""
        found = self._prev.get(instant)
        if found is None:
            found = self._remember(self._prev, instant, self._compute_prev(instant))
        return found

    @staticmethod
    def _remember(memo: dict[datetime, datetime], instant: datetime, tick: datetime) -> datetime:
        if len(memo) >= 4096:
            memo.clear()
        memo[instant] = tick
        return tick

    def _compute_next(self, instant: datetime) -> datetime:
        it = self._iter
        it.set_current(instant.astimezone(self._zone).replace(tzinfo=None), force=True)
        while True:
            tick = self._place(it.get_next(datetime))
            if tick > instant:
                return tick

    def first_at_or_after(self, instant: datetime) -> datetime:
        """The first tick at ``instant`` or later."""
        return self.next_after(instant - _EPSILON)

    def _compute_prev(self, instant: datetime) -> datetime:
        it = self._iter
        it.set_current((instant + _EPSILON).astimezone(self._zone).replace(tzinfo=None), force=True)
        while True:
            tick = self._place(it.get_prev(datetime))
            if tick <= instant:
                return tick

    def ticks(self, start: datetime, end: datetime, limit: int) -> list[datetime]:
        """Up to ``limit`` ticks in ``[start, end]``, in order."""
        out: list[datetime] = []
        tick = self.first_at_or_after(start)
        while tick <= end and len(out) < limit:
            out.append(tick)
            tick = self.next_after(tick)
        return out

    def _place(self, wall: datetime) -> datetime:
        # fold=0: an ambiguous wall time is its first occurrence; a missing one keeps the
        # offset from before the gap.
        return wall.replace(tzinfo=self._zone, fold=0).astimezone(timezone.utc)


@lru_cache(maxsize=4096)
def cron_schedule(expression: str, timezone_name: str = "Etc/UTC", with_seconds: bool = False) -> CronSchedule:
    """A shared ``CronSchedule`` (validation and zone lookup happen once per expression)."""
    return CronSchedule(expression, timezone_name, with_seconds)
