"""The runner on the in-memory target: steps, ladders that stop at the knee, timeouts, methods."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from benchmarks.harness.runner import run_scenario, run_step
from benchmarks.harness.targets.memory import MemoryTarget
from benchmarks.scenarios.catalog import Scenario, Step, by_name


def _scenario(**changes: object) -> Scenario:
    # min_sends=0: these steps are sub-second on purpose (the catalog's ladders want 10 sends a rung).
    fields: dict[str, object] = {"quick_warmup": None, "timeout_s": 1.0, "min_sends": 0, **changes}
    return replace(by_name(["two-tasks"])[0], **fields)  # type: ignore[arg-type]


def test_a_step_measures_every_execution() -> None:
    target = MemoryTarget(base_s=0.02)
    counter = iter(range(10_000))
    result, book = asyncio.run(run_step(target, _scenario(), Step(1200, 0.5), lambda: f"k{next(counter)}"))
    assert result.sent == 10 and result.succeeded == 10 and result.clean
    assert 0.02 <= result.p50_s < 0.2  # type: ignore[operator]
    assert result.system == "memory" and result.scenario == "two-tasks"


def test_lost_executions_time_out() -> None:
    target = MemoryTarget(base_s=0.01, lose_every=5)
    counter = iter(range(10_000))
    result, _ = asyncio.run(run_step(target, _scenario(timeout_s=0.3), Step(1200, 0.5), lambda: f"k{next(counter)}"))
    assert (result.sent, result.succeeded, result.timeouts) == (10, 8, 2)
    assert not result.clean


def test_ladder_stops_after_the_first_step_over_the_limit() -> None:
    # Capacity 5 in flight: beyond it each queued execution adds 0.2 s, so a fast step blows p99.
    target = MemoryTarget(base_s=0.05, capacity=5, per_queued_s=0.2)
    scenario = _scenario(quick_rates=(120, 6000, 12000), quick_step_s=0.5, p99_limit_s=0.5)
    run = asyncio.run(run_scenario(target, scenario, quick=True, key_prefix="t"))
    assert [s.target_per_min for s in run.steps] == [120, 6000]
    assert run.steps[0].p99_s is not None and run.steps[0].p99_s <= 0.5
    assert run.steps[1].p99_s is not None and run.steps[1].p99_s > 0.5
    assert target.prepared == ["two-tasks"]


def test_failures_end_a_ladder() -> None:
    target = MemoryTarget(failing=frozenset({"benchmark01"}))
    scenario = _scenario(quick_rates=(600, 1200), quick_step_s=0.2)
    run = asyncio.run(run_scenario(target, scenario, quick=True, key_prefix="t"))
    assert len(run.steps) == 1 and run.steps[0].failed == run.steps[0].sent == 2


def test_single_runs_one_after_another() -> None:
    scenario = replace(by_name(["foreach-100"])[0], quick_repeats=3, timeout_s=1.0)
    run = asyncio.run(run_scenario(MemoryTarget(base_s=0.05), scenario, quick=True, key_prefix="t"))
    assert len(run.steps) == 1
    step = run.steps[0]
    assert step.sent == 3 and step.succeeded == 3 and step.target_per_min == 0
    assert step.p50_s is not None and 0.05 <= step.p50_s < 0.3


def test_burst_reports_the_last_tenth() -> None:
    scenario = replace(by_name(["burst-10k"])[0], quick_total=40, quick_burst_s=0.4, timeout_s=1.0)
    run = asyncio.run(run_scenario(MemoryTarget(base_s=0.01), scenario, quick=True, key_prefix="t"))
    assert run.steps[0].sent == 40
    assert run.tail is not None and run.tail.sent == 4


def test_a_scenario_waits_for_stragglers_and_notes_the_lost_ones() -> None:
    target = MemoryTarget(base_s=0.01, lose_every=3)
    scenario = _scenario(quick_rates=(1200,), quick_step_s=0.25, timeout_s=0.2)
    run = asyncio.run(run_scenario(target, scenario, quick=True, key_prefix="t"))
    assert run.steps[0].timeouts == 1
    assert run.notes == []  # lost executions are not running: nothing to wait for
    slow = MemoryTarget(base_s=0.5)
    run = asyncio.run(run_scenario(slow, _scenario(quick_rates=(600,), quick_step_s=0.2, timeout_s=0.1),
                                   quick=True, key_prefix="t"))
    assert run.steps[0].timeouts == 2 and run.notes == ["2 execution(s) still running 0.1s after the last step"]


def test_keys_differ_across_scenarios_of_one_run() -> None:
    sent: list[str] = []

    class Recording(MemoryTarget):
        async def submit(self, scenario, key, book, lag_s):  # type: ignore[no-untyped-def]
            sent.append(key)
            await super().submit(scenario, key, book, lag_s)

    target = Recording()
    for name in ("foreach-100", "foreach-160-log"):
        scenario = replace(by_name([name])[0], quick_repeats=2, timeout_s=1.0)
        asyncio.run(run_scenario(target, scenario, quick=True, key_prefix="run1"))
    assert len(sent) == len(set(sent)) == 4


def test_single_stops_repeating_after_a_timeout() -> None:
    scenario = replace(by_name(["foreach-100"])[0], quick_repeats=3, timeout_s=0.1)
    run = asyncio.run(run_scenario(MemoryTarget(lose_every=1), scenario, quick=True, key_prefix="t"))
    assert run.steps[0].sent == 1 and run.steps[0].timeouts == 1
