"""Open-loop pacing: sends fall due on a fixed schedule whatever the consumer does."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.harness.pacing import Pace, paced


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _drain(pace: Pace, clock: FakeClock, work_s: float = 0.0) -> list[tuple[int, float, float]]:
    async def go() -> list[tuple[int, float, float]]:
        out = []
        async for index, lag in paced(pace, clock, clock.sleep):
            out.append((index, lag, clock.now))
            clock.now += work_s
        return out

    return asyncio.run(go())


def test_count_and_interval_follow_rate_and_duration() -> None:
    pace = Pace(rate_per_min=1200, duration_s=3)
    assert pace.interval_s == pytest.approx(0.05)
    assert pace.count == 60
    assert Pace(rate_per_min=1, duration_s=1).count == 1


def test_sends_fall_due_on_the_schedule() -> None:
    clock = FakeClock()
    sends = _drain(Pace(rate_per_min=600, duration_s=1), clock)
    assert [i for i, _, _ in sends] == list(range(10))
    assert [at - 100.0 for _, _, at in sends] == pytest.approx([i * 0.1 for i in range(10)])
    assert all(lag == 0 for _, lag, _ in sends)


def test_a_slow_consumer_does_not_slow_the_schedule_and_lag_is_reported() -> None:
    clock = FakeClock()
    # Each send takes 0.25 s of the consumer's time while one is due every 0.1 s.
    sends = _drain(Pace(rate_per_min=600, duration_s=1), clock, work_s=0.25)
    assert clock.slept == []
    lags = [lag for _, lag, _ in sends]
    assert lags == pytest.approx([i * 0.15 for i in range(10)])
    # All ten are still sent: open loop never drops or spaces out sends.
    assert len(sends) == 10


@pytest.mark.parametrize("rate, duration", [(0, 1), (-5, 1), (10, 0)])
def test_bad_paces_are_refused(rate: float, duration: float) -> None:
    with pytest.raises(ValueError):
        Pace(rate, duration)
