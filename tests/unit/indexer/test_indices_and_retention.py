from __future__ import annotations

from datetime import date, timedelta

import pytest

from harrier.indexer.backoff import Backoff
from harrier.indexer.exceptions import DocumentError
from harrier.indexer.indices import IndexNames, utc_day
from harrier.indexer.retention import RetentionCleaner

NAMES = IndexNames("h-")


def test_daily_names_round_trip_to_their_day() -> None:
    assert NAMES.daily("logs", "2026-02-03") == "h-logs-2026.02.03"
    assert NAMES.day_of("logs", "h-logs-2026.02.03") == date(2026, 2, 3)
    assert NAMES.day_of("metrics", "h-logs-2026.02.03") is None
    assert NAMES.day_of("logs", "h-logs-2026.02.30") is None
    assert NAMES.day_of("logs", "h-logs-latest") is None


def test_utc_day_rejects_non_strings() -> None:
    with pytest.raises(DocumentError, match="timestamp"):
        utc_day(1700000000)


def test_retention_keeps_indices_inside_the_period() -> None:
    cleaner = RetentionCleaner(None, NAMES, timedelta(days=7))  # type: ignore[arg-type]
    indices = ["h-logs-2026.11.17", "h-logs-2026.11.18", "h-metrics-2026.01.01", "h-executions", "h-logs-x"]
    assert cleaner.expired(indices, date(2026, 11, 25)) == ["h-logs-2026.11.17", "h-metrics-2026.01.01"]


def test_retention_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RetentionCleaner(None, NAMES, timedelta(0))  # type: ignore[arg-type]


def test_backoff_doubles_to_its_cap_and_resets() -> None:
    backoff = Backoff(1.0, 4.0)
    delays = [backoff.next_delay() for _ in range(4)]
    assert all(0.8 * cap <= delay <= cap for delay, cap in zip(delays, [1, 2, 4, 4], strict=True))
    backoff.reset()
    assert backoff.next_delay() <= 1.0
