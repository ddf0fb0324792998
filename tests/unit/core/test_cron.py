from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from harrier.core.cron import CronSchedule

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")


def test_five_fields_next_after_is_strictly_after() -> None:
    cron = CronSchedule("*/15 * * * *")
    at = datetime(2026, 1, 1, 10, 15, tzinfo=UTC)
    assert cron.next_after(at) == datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    assert cron.first_at_or_after(at) == at
    assert cron.last_at_or_before(at) == at
    assert cron.last_at_or_before(at - timedelta(microseconds=1)) == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


def test_six_fields_with_seconds() -> None:
    cron = CronSchedule("*/20 * * * * *", with_seconds=True)
    at = datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)
    assert cron.ticks(at, at + timedelta(minutes=1), 10) == [
        datetime(2026, 1, 1, 0, 0, s, tzinfo=UTC) for s in (20, 40)
    ] + [datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("nickname", "expected"),
    [
        ("@hourly", datetime(2026, 5, 5, 13, 0, tzinfo=UTC)),
        ("@daily", datetime(2026, 5, 6, 0, 0, tzinfo=UTC)),
        ("@monthly", datetime(2026, 6, 1, 0, 0, tzinfo=UTC)),
        ("@yearly", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_nicknames(nickname: str, expected: datetime) -> None:
    assert CronSchedule(nickname).next_after(datetime(2026, 5, 5, 12, 1, tzinfo=UTC)) == expected


def test_timezone_daily_tick_is_local_wall_time() -> None:
    cron = CronSchedule("0 9 * * *", "America/New_York")
    assert cron.next_after(datetime(2026, 1, 10, 0, 0, tzinfo=UTC)) == datetime(2026, 1, 10, 14, 0, tzinfo=UTC)
    assert cron.next_after(datetime(2026, 7, 10, 0, 0, tzinfo=UTC)) == datetime(2026, 7, 10, 13, 0, tzinfo=UTC)


def test_spring_forward_gap_fires_shifted_and_days_continue() -> None:
    cron = CronSchedule("30 2 * * *", "Europe/Paris")
    ticks = cron.ticks(datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 31, 12, tzinfo=UTC), 10)
    assert [t.astimezone(PARIS).strftime("%m-%d %H:%M") for t in ticks] == ["03-29 03:30", "03-30 02:30", "03-31 02:30"]


def test_fall_back_fires_once_for_a_repeated_wall_time() -> None:
    cron = CronSchedule("30 2 * * *", "Europe/Paris")
    ticks = cron.ticks(datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC), 10)
    assert ticks == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 26, 1, 30, tzinfo=UTC)]


def test_invalid_expression_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid cron expression"):
        CronSchedule("61 * * * *")
