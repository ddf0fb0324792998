"""The climbing ladder of `--full`: which rate to offer next, given the rungs run so far.

Climb by `factor` from `start_per_min` while every rung passes; the first failing rung
brackets the ceiling between the highest passing rate below it and it, and the ladder then
bisects that bracket `bisections` times (fewer once the bracket is narrower than `resolution`),
so the figure reported is a rate that passed with a failing rate just above it, never the
top of a fixed list. A first rung that fails makes the ladder descend by `factor` until a rung
passes (or the rate falls under `floor_per_min`), then bisect as above.

`next_rate` is a pure function of the history, so a run can be replayed or tested rung by
rung; `max_rungs` is a safety stop for a system that never fails (its figure is then a floor,
and the report says so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Ladder", "Rung", "nice_rate"]

# (offered rate per minute, passed)
Rung = tuple[float, bool]


def nice_rate(rate: float) -> float:
    """`rate` rounded to two significant digits (5,250 -> 5,300; 22,500 -> 23,000), at least 1."""
    if rate <= 1:
        return 1.0
    unit = 10 ** (math.floor(math.log10(rate)) - 1)
    return float(math.floor(rate / unit + 0.5) * unit)  # half up: round() would give 5,200


@dataclass(frozen=True)
class Ladder:
    """How a `--full` ladder chooses its rates."""

    start_per_min: float
    factor: float = 2.0
    bisections: int = 3
    resolution: float = 0.05
    floor_per_min: float = 10.0
    max_rungs: int = 20

    def __post_init__(self) -> None:
        if self.start_per_min <= 0 or self.factor <= 1 or self.bisections < 0 or self.resolution <= 0:
            raise ValueError(f"invalid ladder {self}")

    def next_rate(self, rungs: Sequence[Rung]) -> float | None:
        """The next rate to offer, or None when the ladder is done."""
        if not rungs:
            return self.start_per_min
        if len(rungs) >= self.max_rungs:
            return None
        failing = [rate for rate, passed in rungs if not passed]
        if not failing:
            return nice_rate(max(rate for rate, _ in rungs) * self.factor)
        high = min(failing)
        below = [rate for rate, passed in rungs if passed and rate < high]
        if not below:
            lower = nice_rate(high / self.factor)
            return lower if self.floor_per_min <= lower < high else None
        low = max(below)
        if self._bisected(rungs) >= self.bisections or high / low - 1 <= self.resolution:
            return None
        middle = nice_rate((low + high) / 2)
        return middle if low < middle < high else None

    @staticmethod
    def _bisected(rungs: Sequence[Rung]) -> int:
        """How many rungs were run after the ceiling was first bracketed (a pass below a fail)."""
        for index in range(len(rungs)):
            seen = rungs[: index + 1]
            failing = [rate for rate, passed in seen if not passed]
            if failing and any(passed and rate < min(failing) for rate, passed in seen):
                return len(rungs) - 1 - index
        return 0

    @staticmethod
    def ceiling(rungs: Sequence[Rung]) -> tuple[float | None, float | None]:
        """(highest passing rate below the lowest failing one, lowest failing rate); None where absent."""
        failing = [rate for rate, passed in rungs if not passed]
        high = min(failing) if failing else None
        passing = [rate for rate, passed in rungs if passed and (high is None or rate < high)]
        return (max(passing) if passing else None), high
