"""Running a scenario on one system: warm-up, paced steps, drain, summary.

Per step: pace the sends (never waiting for answers), flush the target, then wait until every
execution has ended or `timeout_s` has passed since the last send; whatever is still open
then counts as a timeout. A ladder stops after its first step that is not clean or whose
p99 passes the scenario's limit (that step is reported too: it shows where it broke).
`run_climb` (`--full`) picks each rung's rate from a `Ladder` instead of a fixed list, and
reads each component's CPU time around every rung.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.harness.cpu import CpuDelta, CpuSnapshot, clock_ticks, cpu_delta
from benchmarks.harness.ladder import Ladder, Rung
from benchmarks.harness.pacing import Pace, paced
from benchmarks.harness.samples import SampleBook
from benchmarks.harness.stats import StepResult, summarize
from benchmarks.harness.targets.base import Target
from benchmarks.scenarios.catalog import Scenario, Step

__all__ = ["MAX_SEND_LAG_S", "RungCpu", "ScenarioRun", "StepObserver", "run_climb", "run_scenario", "run_step",
           "verdict"]

# Called after each send and while draining: (sent so far, ended so far, planned total).
StepObserver = Callable[[int, int, int], None]
# A rung whose sender fell further behind its schedule than this did not offer its rate.
MAX_SEND_LAG_S = 1.0


@dataclass(frozen=True)
class RungCpu:
    """CPU time per component during one `--full` rung (from its first send to its last end)."""

    rate_per_min: float
    delta: CpuDelta


@dataclass
class ScenarioRun:
    """Everything one system did on one scenario."""

    scenario: str
    system: str
    steps: list[StepResult] = field(default_factory=list)
    tail: StepResult | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    climbed: bool = False
    cpu: list[RungCpu] = field(default_factory=list)


def _keys(prefix: str) -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"{prefix}{next(counter):07d}"


async def run_step(
    target: Target,
    scenario: Scenario,
    step: Step,
    next_key: Callable[[], str],
    observe: StepObserver | None = None,
) -> tuple[StepResult, SampleBook]:
    """Run one paced step and summarize it."""
    book = SampleBook()
    pace = Pace(step.rate_per_min, step.duration_s)
    async for _, lag in paced(pace):
        await target.submit(scenario, next_key(), book, lag)
        if observe:
            observe(book.sent_count, book.ended_count, pace.count)
    await target.settle()
    deadline = time.monotonic() + scenario.timeout_s
    while book.open_count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if observe:
            observe(pace.count, book.ended_count, pace.count)
    book.expire()
    return summarize(scenario.name, target.name, step.rate_per_min, step.duration_s, book.samples()), book


async def _run_single(target: Target, scenario: Scenario, steps: list[Step], next_key: Callable[[], str],
                      observe: StepObserver | None) -> StepResult:
    """Executions one after another; one result over all of them."""
    samples = []
    for step in steps:
        _, book = await run_step(target, scenario, step, next_key, None)
        samples.extend(book.samples())
        if observe:
            observe(len(samples), len(samples), len(steps))
        if any(s.timed_out for s in samples):
            break  # the next repetition would time out the same way
    return summarize(scenario.name, target.name, 0.0, 0.0, samples)


async def run_scenario(
    target: Target, scenario: Scenario, quick: bool, key_prefix: str, observe: StepObserver | None = None
) -> ScenarioRun:
    """Prepare the target, warm it up, then run the scenario's method."""
    run = ScenarioRun(scenario.name, target.name)
    # Ids must differ across scenarios too: an executor drops a create for an id it already ran.
    next_key = _keys(f"{key_prefix}-{scenario.name}-")
    await target.prepare(scenario)
    if (warmup := scenario.warmup_step(quick)) is not None:
        await run_step(target, scenario, warmup, next_key, observe)
    steps = scenario.steps(quick)
    try:
        await _run_method(target, scenario, steps, next_key, observe, run)
    finally:
        if left := await target.quiesce(scenario.timeout_s):
            run.notes.append(f"{left} execution(s) still running {scenario.timeout_s:g}s after the last step")
    return run


async def _run_method(target: Target, scenario: Scenario, steps: list[Step], next_key: Callable[[], str],
                      observe: StepObserver | None, run: ScenarioRun) -> None:
    if scenario.method == "single":
        run.steps.append(await _run_single(target, scenario, steps, next_key, observe))
        return
    for step in steps:
        result, book = await run_step(target, scenario, step, next_key, observe)
        run.steps.append(result)
        if scenario.method == "burst":
            ordered = book.samples()
            last = ordered[-max(1, len(ordered) // 10):]
            run.tail = summarize(scenario.name, target.name, step.rate_per_min, step.duration_s, last)
        elif not result.clean or result.p99_s is None or result.p99_s > scenario.p99_limit_s:
            break


def verdict(result: StepResult, limit_s: float, max_lag_s: float = MAX_SEND_LAG_S) -> str | None:
    """Why a rung fails (any failure or timeout, p99 over the limit, a sender behind its
    schedule), or None when it passes."""
    if result.failed or result.timeouts or not result.clean:
        return f"{result.failed} failed, {result.timeouts} timed out of {result.sent}"
    if result.p99_s is None or result.p99_s > limit_s:
        return f"p99 {result.p99_s or 0:.2f} s over the {limit_s:g} s limit"
    if result.max_send_lag_s > max_lag_s:
        return f"the load client fell {result.max_send_lag_s:.1f} s behind its schedule"
    return None


async def run_climb(
    target: Target,
    scenario: Scenario,
    ladder: Ladder,
    rung_s: float,
    key_prefix: str,
    observe: StepObserver | None = None,
    measure: Callable[[], CpuSnapshot] | None = None,
) -> ScenarioRun:
    """Prepare, warm up, then offer the rates `ladder` picks until it is done; CPU per rung if `measure`."""
    run = ScenarioRun(scenario.name, target.name, climbed=True)
    next_key = _keys(f"{key_prefix}-{scenario.name}-")
    await target.prepare(scenario)
    if (warmup := scenario.full_warmup(rung_s)) is not None:
        await run_step(target, scenario, warmup, next_key, observe)
    rungs: list[Rung] = []
    try:
        while (rate := ladder.next_rate(rungs)) is not None:
            before = measure() if measure else None
            result, _ = await run_step(target, scenario, scenario.rung(rate, rung_s), next_key, observe)
            if before is not None and measure is not None:
                ended = result.succeeded + result.failed
                run.cpu.append(RungCpu(rate, cpu_delta(before, measure(), ended, clock_ticks())))
            run.steps.append(result)
            reason = verdict(result, scenario.p99_limit_s)
            rungs.append((rate, reason is None))
            if reason:
                run.notes.append(f"{rate:,.0f}/min failed: {reason}")
            if (left := await target.quiesce(scenario.timeout_s)) and reason is None:
                run.notes.append(f"{left} execution(s) of the {rate:,.0f}/min rung still running afterwards")
    finally:
        if left := await target.quiesce(scenario.timeout_s):
            run.notes.append(f"{left} execution(s) still running {scenario.timeout_s:g}s after the last step")
    return run
