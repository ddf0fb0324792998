from __future__ import annotations

from datetime import datetime, timedelta, timezone

from harrier.core.cron import CronSchedule
from harrier.scheduler.state import BackfillProgress
from harrier.scheduler.ticks import LatePolicy, plan_backfill, plan_ticks

UTC = timezone.utc
MINUTELY = CronSchedule("* * * * *")
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TOLERANCE = timedelta(seconds=2)


def minutes(*offsets: int) -> tuple[datetime, ...]:
    return tuple(T0 + timedelta(minutes=m) for m in offsets)


def test_nothing_due_before_next_date() -> None:
    plan = plan_ticks(MINUTELY, T0, T0 - timedelta(seconds=1), policy=LatePolicy.ALL, tolerance=TOLERANCE)
    assert plan.fire == () and plan.next_date == T0


def test_on_time_tick_fires_whatever_the_policy() -> None:
    for policy in LatePolicy:
        plan = plan_ticks(MINUTELY, T0, T0 + timedelta(seconds=1), policy=policy, tolerance=TOLERANCE)
        assert plan.fire == (T0,), policy
        assert plan.next_date == T0 + timedelta(minutes=1)


def test_missed_ticks_all_fires_every_one() -> None:
    now = T0 + timedelta(minutes=5, seconds=30)
    plan = plan_ticks(MINUTELY, T0, now, policy=LatePolicy.ALL, tolerance=TOLERANCE)
    assert plan.fire == minutes(0, 1, 2, 3, 4, 5)
    assert plan.next_date == T0 + timedelta(minutes=6)
    assert not plan.dropped


def test_missed_ticks_last_fires_the_latest() -> None:
    now = T0 + timedelta(minutes=5, seconds=30)
    plan = plan_ticks(MINUTELY, T0, now, policy=LatePolicy.LAST, tolerance=TOLERANCE)
    assert plan.fire == minutes(5)
    assert plan.next_date == T0 + timedelta(minutes=6) and plan.dropped


def test_missed_ticks_none_fires_nothing_but_on_time() -> None:
    late = plan_ticks(MINUTELY, T0, T0 + timedelta(minutes=5, seconds=30), policy=LatePolicy.NONE, tolerance=TOLERANCE)
    assert late.fire == () and late.next_date == T0 + timedelta(minutes=6)
    on_time = plan_ticks(MINUTELY, T0, T0 + timedelta(minutes=5, seconds=1), policy=LatePolicy.NONE, tolerance=TOLERANCE)
    assert on_time.fire == minutes(5)


def test_limit_leaves_the_rest_for_the_next_evaluation() -> None:
    plan = plan_ticks(MINUTELY, T0, T0 + timedelta(hours=1), policy=LatePolicy.ALL, tolerance=TOLERANCE, limit=10)
    assert len(plan.fire) == 10 and plan.next_date == T0 + timedelta(minutes=10)


def test_late_maximum_delay_drops_old_ticks() -> None:
    now = T0 + timedelta(minutes=5, seconds=30)
    plan = plan_ticks(MINUTELY, T0, now, policy=LatePolicy.ALL, tolerance=TOLERANCE,
                      late_maximum_delay=timedelta(minutes=2))
    assert plan.fire == minutes(4, 5) and plan.dropped


def test_backfill_advances_in_batches_and_finishes() -> None:
    hourly = CronSchedule("0 * * * *")
    progress = BackfillProgress(start=T0, end=T0 + timedelta(hours=4, minutes=30), current=T0)
    fired: list[datetime] = []
    while not progress.done:
        ticks, progress = plan_backfill(hourly, progress, limit=2)
        fired.extend(ticks)
    assert fired == [T0 + timedelta(hours=h) for h in range(5)]
    assert plan_backfill(hourly, progress, limit=2) == ((), progress)


def test_paused_backfill_does_not_move() -> None:
    progress = BackfillProgress(start=T0, end=T0 + timedelta(hours=1), current=T0, paused=True)
    assert plan_backfill(MINUTELY, progress, limit=5) == ((), progress)
