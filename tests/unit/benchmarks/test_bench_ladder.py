"""The climbing ladder of --full: climb while rungs pass, bisect the bracket, stop."""

from __future__ import annotations

import pytest

from benchmarks.harness.ladder import Ladder, Rung, nice_rate


def _climb(ladder: Ladder, ceiling: float) -> list[float]:
    """Every rate the ladder offers to a system that passes exactly the rates at or under `ceiling`."""
    rungs: list[Rung] = []
    while (rate := ladder.next_rate(rungs)) is not None:
        rungs.append((rate, rate <= ceiling))
        assert len(rungs) < 50, "the ladder never stopped"
    return [rate for rate, _ in rungs]


def test_it_doubles_until_a_rung_fails_then_bisects_three_times() -> None:
    assert _climb(Ladder(1000), ceiling=5_600) == [1000, 2000, 4000, 8000, 6000, 5000, 5500]


def test_the_figure_is_a_passing_rate_with_a_failing_one_just_above_never_the_top() -> None:
    rates = _climb(Ladder(1000), ceiling=23_000)
    rungs = [(rate, rate <= 23_000) for rate in rates]
    low, high = Ladder.ceiling(rungs)
    assert (low, high) == (22_000, 24_000)
    assert max(rates) == 32_000 and low < max(rates)


def test_a_first_rung_that_fails_makes_it_descend_then_bisect() -> None:
    assert _climb(Ladder(1000), ceiling=300) == [1000, 500, 250, 380, 320, 290]
    # ... and nothing under the floor: a system that passes nothing ends with no passing rung.
    rates = _climb(Ladder(1000, floor_per_min=100), ceiling=0)
    assert rates == [1000, 500, 250, 130] and Ladder.ceiling([(r, False) for r in rates]) == (None, 130)


def test_a_narrow_bracket_stops_early() -> None:
    ladder = Ladder(1000, bisections=10, resolution=0.05)
    rates = _climb(ladder, ceiling=5_600)
    # After 5800 and 5700 failed, 5500..5700 is under 5 % wide: 5 bisections of the 10 allowed.
    assert rates == [1000, 2000, 4000, 8000, 6000, 5000, 5500, 5800, 5700]


def test_a_pass_above_a_failure_does_not_move_the_bracket_up() -> None:
    # Noise: 6000 failed, then 7000 passed; the bracket is below the lowest failure.
    rungs: list[Rung] = [(1000, True), (2000, True), (4000, True), (8000, False), (6000, False), (7000, True)]
    assert Ladder.ceiling(rungs) == (4000, 6000)
    assert Ladder(1000, bisections=5).next_rate(rungs) == 5000


def test_a_system_that_never_fails_stops_at_max_rungs() -> None:
    assert len(_climb(Ladder(10, max_rungs=6), ceiling=float("inf"))) == 6


@pytest.mark.parametrize("rate, nice", [(5250, 5300), (22_500, 23_000), (6000, 6000), (375, 380), (0.2, 1.0)])
def test_nice_rates_have_two_significant_digits(rate: float, nice: float) -> None:
    assert nice_rate(rate) == nice


def test_invalid_ladders_are_refused() -> None:
    with pytest.raises(ValueError):
        Ladder(1000, factor=1.0)
    with pytest.raises(ValueError):
        Ladder(0)
