"""Percentiles, the sample book and step summaries."""

from __future__ import annotations

import threading

import pytest

from benchmarks.harness.samples import SampleBook
from benchmarks.harness.stats import percentile, summarize


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 90) == 90
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([0.3], 99) == 0.3
    # Ten values: p99 is the largest, p50 the fifth.
    ten = [float(v) for v in range(10)]
    assert percentile(ten, 99) == 9
    assert percentile(ten, 50) == 4


@pytest.mark.parametrize("values, q", [([], 50), ([1.0], 0), ([1.0], 101)])
def test_percentile_refuses_bad_input(values: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        percentile(values, q)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_book_keeps_the_first_end_and_ignores_unknown_keys() -> None:
    clock = Clock()
    book = SampleBook(clock)
    book.sent("a")
    clock.now = 2.0
    assert book.ended("a", "SUCCESS")
    clock.now = 1.0
    assert not book.ended("a", "SUCCESS")
    assert not book.ended("other-run", "SUCCESS")
    assert book.samples()[0].latency_s == 2.0
    with pytest.raises(ValueError):
        book.sent("a")


def test_book_expiry_counts_timeouts_and_wakes_waiters() -> None:
    book = SampleBook()
    book.sent("a")
    book.sent("b")
    book.ended("a", "SUCCESS")
    assert not book.wait_all_ended(0.01)
    waiter = threading.Thread(target=book.wait_all_ended, args=(5,))
    waiter.start()
    assert book.expire() == 1
    waiter.join(1)
    assert not waiter.is_alive()
    assert book.open_count == 0
    # An end arriving after the timeout does not turn it into a success.
    assert not book.ended("b", "SUCCESS")


def test_summary_of_a_step() -> None:
    clock = Clock()
    book = SampleBook(clock)
    for i in range(10):
        clock.now = i * 0.1
        book.sent(f"k{i}", lag_s=0.01 * i)
    for i in range(8):
        book.ended(f"k{i}", "SUCCESS", at=i * 0.1 + 0.5 + i * 0.01, server_duration_s=0.2)
    book.ended("k8", "FAILED", at=2.0)
    book.expire()
    result = summarize("s", "harrier", 600, 1.0, book.samples())
    assert (result.sent, result.succeeded, result.failed, result.timeouts) == (10, 8, 1, 1)
    assert result.p50_s == pytest.approx(0.53)
    assert result.max_s == pytest.approx(0.57)
    assert result.p99_s == result.max_s
    assert result.server_p50_s == 0.2
    assert result.max_send_lag_s == pytest.approx(0.09)
    # Nine ended between the first send (0.0) and the last end (2.0).
    assert result.achieved_per_min == pytest.approx(9 * 60 / 2.0)
    assert not result.clean


def test_summary_with_no_success_has_no_latency() -> None:
    book = SampleBook()
    book.sent("x")
    book.expire()
    result = summarize("s", "kestra", 60, 1.0, book.samples())
    assert result.p99_s is None and result.timeouts == 1 and result.achieved_per_min == 0
