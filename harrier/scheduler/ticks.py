"""Which cron ticks to fire now: late-tick policies and backfill progress (pure functions).

A tick is *on time* when it is at most ``tolerance`` old (the loop runs once per tick period,
so a tick is always up to one period late); older ticks were *missed* (the scheduler was
down, or the trigger was locked by a running execution) and the policy decides:

- ALL: fire every missed tick, oldest first;
- LAST: fire only the most recent missed tick;
- NONE: fire none of them.

``late_maximum_delay`` additionally drops any tick older than that, whatever the policy.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from harrier.core.cron import CronSchedule
from harrier.scheduler.state import BackfillProgress

__all__ = ["LatePolicy", "TickPlan", "plan_backfill", "plan_ticks"]

_EPSILON = timedelta(microseconds=1)


class LatePolicy(enum.StrEnum):
    """What to do with ticks missed while the scheduler was down (Kestra's recoverMissedSchedules)."""

    ALL = "ALL"
    LAST = "LAST"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class TickPlan:
    """Ticks to fire now, oldest first, and the next tick to wait for."""

    fire: tuple[datetime, ...]
    next_date: datetime
    dropped: bool = False


def plan_ticks(
    cron: CronSchedule,
    next_date: datetime,
    now: datetime,
    *,
    policy: LatePolicy,
    tolerance: timedelta,
    late_maximum_delay: timedelta | None = None,
    limit: int = 1000,
) -> TickPlan:
    """The ticks due at ``now`` for a trigger waiting for ``next_date`` (a tick of ``cron``)."""
    if next_date > now:
        return TickPlan((), next_date)
    on_time_from = now - tolerance
    if policy is LatePolicy.ALL or next_date >= on_time_from:
        fire = cron.ticks(next_date, now, limit)
        # With more due ticks than ``limit`` the rest fire on the next evaluations.
        following = cron.next_after(fire[-1]) if fire else cron.next_after(now)
        return _drop_too_late(fire, following, now, late_maximum_delay, dropped=False)
    fire = []
    if policy is LatePolicy.LAST:
        fire.append(cron.last_at_or_before(on_time_from - _EPSILON))
    fire += cron.ticks(on_time_from, now, limit)
    return _drop_too_late(fire, cron.next_after(now), now, late_maximum_delay, dropped=True)


def plan_backfill(
    cron: CronSchedule, backfill: BackfillProgress, limit: int
) -> tuple[tuple[datetime, ...], BackfillProgress]:
    """Up to ``limit`` backfill ticks from the current position, and the advanced progress."""
    if backfill.paused or backfill.done:
        return (), backfill
    fire = cron.ticks(backfill.current, backfill.end, limit)
    current = cron.next_after(fire[-1]) if fire else cron.first_at_or_after(backfill.current)
    done = current > backfill.end
    return tuple(fire), backfill.model_copy(update={"current": current, "done": done})


def _drop_too_late(
    fire: list[datetime], following: datetime, now: datetime, late_maximum_delay: timedelta | None, *, dropped: bool
) -> TickPlan:
    if late_maximum_delay is not None:
        kept = [tick for tick in fire if now - tick <= late_maximum_delay]
        dropped = dropped or len(kept) != len(fire)
        fire = kept
    return TickPlan(tuple(fire), following, dropped)
