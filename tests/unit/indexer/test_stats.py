"""The histogram's bucket width, picked from the range's length."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from harrier.indexer.stats import pick_interval

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("span", "interval"),
    [
        (timedelta(minutes=30), "1m"),
        (timedelta(hours=1), "1m"),
        (timedelta(hours=3), "5m"),
        (timedelta(hours=6), "15m"),
        (timedelta(hours=24), "1h"),
        (timedelta(days=2), "1h"),
        (timedelta(days=7), "3h"),
        (timedelta(days=30), "1d"),
        (timedelta(days=365), "1d"),
    ],
)
def test_the_narrowest_width_giving_at_most_sixty_buckets(span: timedelta, interval: str) -> None:
    assert pick_interval(START, START + span) == interval
