"""The one figure per scenario and system that the summary table shows, and the ratio between two."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from benchmarks.harness.ladder import Ladder
from benchmarks.harness.runner import ScenarioRun, verdict
from benchmarks.harness.stats import StepResult
from benchmarks.scenarios.catalog import Scenario

__all__ = ["Headline", "headline", "ratio"]


@dataclass(frozen=True)
class Headline:
    """A figure: a rate (higher is better) or a duration (lower is better), with its wording.

    `lower_bound`: a ladder that never broke, so the rate is a floor. A ladder with no rung under
    its limit has the rate 0 and `lowest_offered`, its lowest rung: the system sustains less.
    """

    kind: Literal["rate", "duration", "none"]
    value: float | None
    text: str
    lower_bound: bool = False
    lowest_offered: float | None = None


def _fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _sustained(steps: list[StepResult], limit_s: float) -> StepResult | None:
    good = [s for s in steps if s.clean and s.p99_s is not None and s.p99_s <= limit_s]
    return max(good, key=lambda s: s.target_per_min, default=None)


def headline(run: ScenarioRun | None, scenario: Scenario, quick: bool = True) -> Headline:
    """The scenario's figure for one system's run (`quick`: which ladder the run climbed)."""
    if run is None:
        return Headline("none", None, "not run")
    if run.error:
        return Headline("none", None, f"not run: {run.error}")
    if not run.steps:
        return Headline("none", None, "no steps")
    if scenario.method == "single":
        step = run.steps[0]
        lost = f", {step.failed} failed, {step.timeouts} timed out" if not step.clean else ""
        return Headline("duration", step.p50_s, f"{_fmt_s(step.p50_s)} (median of {step.sent}){lost}")
    if scenario.method == "burst":
        tail = run.tail or run.steps[0]
        step = run.steps[0]
        lost = f", {step.failed} failed, {step.timeouts} timed out" if not step.clean else ""
        return Headline("duration", tail.p99_s,
                        f"last 10%: p99 {_fmt_s(tail.p99_s)}, all: p99 {_fmt_s(step.p99_s)}{lost}")
    if run.climbed:
        return _climbed(run.steps, scenario.p99_limit_s)
    best = _sustained(run.steps, scenario.p99_limit_s)
    if best is None:
        first = min(run.steps, key=lambda s: s.target_per_min)
        return Headline("rate", 0.0, f"none under p99 {scenario.p99_limit_s:g} s "
                                     f"({first.target_per_min:,.0f}/min: p99 {_fmt_s(first.p99_s)}, "
                                     f"{first.failed} failed, {first.timeouts} timed out)",
                        lowest_offered=first.target_per_min)
    # A ladder that never broke measured a floor: the system may sustain more than its top rung.
    # (The top rate, not the count of rungs: a run recorded before rungs were added still reads right.)
    top = max((step.rate_per_min for step in scenario.steps(quick=quick)), default=0.0)
    unbroken = best is run.steps[-1] and best.target_per_min >= top
    text = f"{best.target_per_min:,.0f} exec/min at p99 {_fmt_s(best.p99_s)} (p50 {_fmt_s(best.p50_s)})"
    return Headline("rate", best.target_per_min, f">= {text}, the ladder's top" if unbroken else text, unbroken)


def _climbed(steps: list[StepResult], limit_s: float) -> Headline:
    """A `--full` ladder's figure: the highest rate that passed below the lowest that failed."""
    by_rate = {step.target_per_min: step for step in steps}
    low, high = Ladder.ceiling([(s.target_per_min, verdict(s, limit_s) is None) for s in steps])
    broke = f"; {high:,.0f}/min failed: {verdict(by_rate[high], limit_s)}" if high is not None else ""
    if low is None:
        lowest = min(by_rate)
        return Headline("rate", 0.0, f"none of its rungs passed (lowest {lowest:,.0f}/min{broke})",
                        lowest_offered=lowest)
    best = by_rate[low]
    text = f"{low:,.0f} exec/min at p99 {_fmt_s(best.p99_s)} (p50 {_fmt_s(best.p50_s)}){broke}"
    if high is None:
        return Headline("rate", low, f">= {text}, never failed (stopped after {len(steps)} rungs)", True)
    return Headline("rate", low, text)


def ratio(harrier: Headline, kestra: Headline) -> str:
    """Harrier against Kestra, written so that above 1 means Harrier did better.

    Rates: harrier / kestra. A side that sustained none of its rungs sustains less than its lowest
    offered rate, so the ratio is bounded against that rate ("> N.NNx" when it is Kestra, "< N.NNx"
    when it is Harrier) and the cell says so. A side that did not run leaves "n/a" (the notes say why).
    """
    if harrier.kind != kestra.kind or harrier.value is None or kestra.value is None:
        return "n/a"
    if harrier.kind == "rate":
        return _rate_ratio(harrier.value, kestra.value, harrier, kestra)
    return "n/a" if harrier.value == 0 else f"{kestra.value / harrier.value:.2f}x faster"


def _rate_ratio(ours: float, theirs: float, harrier: Headline, kestra: Headline) -> str:
    if ours == 0 and theirs == 0:
        return "n/a: neither sustained its lowest rung"
    if theirs == 0:
        if not kestra.lowest_offered:
            return "n/a"
        # Kestra sustains less than its lowest rung, Harrier at least its figure (floor or not).
        return (f"> {ours / kestra.lowest_offered:.2f}x rate (Kestra sustained none of its rungs: "
                f"bound against its lowest offered rate, {kestra.lowest_offered:,.0f}/min)")
    if ours == 0:
        if not harrier.lowest_offered:
            return "n/a"
        # Harrier sustains less than its lowest rung, Kestra at least its figure (floor or not).
        return (f"< {harrier.lowest_offered / theirs:.2f}x rate (Harrier sustained none of its rungs: "
                f"bound against its lowest offered rate, {harrier.lowest_offered:,.0f}/min)")
    # Harrier's figure being a floor makes the ratio one; Kestra's being a floor, a ceiling.
    bound = ">= " if harrier.lower_bound and not kestra.lower_bound else ""
    bound = "<= " if kestra.lower_bound and not harrier.lower_bound else bound
    bound = "~ " if kestra.lower_bound and harrier.lower_bound else bound
    return f"{bound}{ours / theirs:.2f}x rate"
