"""--full without a server: the webhook sender stays open-loop, failed calls fail the rung, the
climbing run offers the ladder's rates and reads CPU around each rung."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from pathlib import Path

import httpx

from benchmarks.harness.cpu import REST, CpuDelta, CpuSnapshot
from benchmarks.harness.headlines import headline
from benchmarks.harness.ladder import Ladder
from benchmarks.harness.report import cpu_table, load_json, steps_table, write_json
from benchmarks.harness.runner import RungCpu, ScenarioRun, run_climb, run_step, verdict
from benchmarks.harness.samples import SampleBook
from benchmarks.harness.stats import StepResult
from benchmarks.harness.targets.webhook import WebhookTarget
from benchmarks.scenarios.catalog import Scenario, Step, by_name


class FakeStates:
    """Stands in for the execution-states observer: every execution ends `end_s` after its send."""

    def __init__(self, end_s: float = 0.02) -> None:
        self.end_s = end_s
        self.running: set[str] = set()

    def start(self) -> None:
        pass

    def expect(self, key: str, book: SampleBook) -> None:
        self.running.add(key)
        asyncio.get_running_loop().call_later(self.end_s, self._end, key, book)

    def _end(self, key: str, book: SampleBook) -> None:
        self.running.discard(key)
        book.ended(key, "SUCCESS")

    def close(self) -> None:
        pass


def _scenario(**changes: object) -> Scenario:
    fields: dict[str, object] = {"warmup": None, "timeout_s": 2.0, "min_sends": 0, **changes}
    return replace(by_name(["two-tasks"])[0], **fields)  # type: ignore[arg-type]


def _target(handler: httpx.AsyncBaseTransport, states: FakeStates, timeout_s: float = 60.0) -> WebhookTarget:
    return WebhookTarget("http://harrier.test", states, timeout_s, transport=handler)  # type: ignore[arg-type]


def test_a_slow_server_shows_as_latency_not_as_a_lower_rate() -> None:
    seen: list[httpx.URL] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        await asyncio.sleep(0.3)
        return httpx.Response(200, json={"id": "x", "state": "CREATED"})

    async def go() -> tuple[float, float, float | None, int]:
        target = _target(httpx.MockTransport(slow), FakeStates(end_s=0.02))
        counter = itertools.count()
        loop = asyncio.get_running_loop()
        began = loop.time()
        result, _ = await run_step(target, _scenario(), Step(1200, 1.0), lambda: f"k{next(counter)}")
        sending = loop.time() - began
        await target.close()
        return sending, result.max_send_lag_s, result.http_p50_s, result.sent

    sending, lag, http_p50, sent = asyncio.run(go())
    # 20 calls at 50 ms intervals answered in 300 ms each: a closed loop would need 6 s.
    assert sent == 20 and lag < 0.1 and sending < 2.5
    assert http_p50 is not None and http_p50 >= 0.3
    assert seen[0].path == "/api/v1/executions/webhook/benchmarks/benchmark01/benchmark"
    assert seen[0].params["bench_key"] == "k0"


def test_refused_and_failed_calls_are_failures_of_the_rung() -> None:
    calls = itertools.count()

    async def flaky(request: httpx.Request) -> httpx.Response:
        n = next(calls)
        if n == 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(503 if n == 5 else 200, text="busy")

    async def go() -> tuple[int, int, str | None]:
        states = FakeStates(end_s=0.3)  # the executions would end, but their calls failed first
        target = _target(httpx.MockTransport(flaky), states)
        counter = itertools.count()
        result, _ = await run_step(target, _scenario(), Step(1200, 0.5), lambda: f"k{next(counter)}")
        await target.close()
        return result.failed, result.succeeded, verdict(result, 1.0)

    failed, succeeded, reason = asyncio.run(go())
    assert (failed, succeeded) == (2, 8)
    assert reason == "2 failed, 0 timed out of 10"


def test_a_call_not_answered_within_the_timeout_in_all_is_a_failure() -> None:
    async def stalls(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    async def go() -> tuple[int, float]:
        target = _target(httpx.MockTransport(stalls), FakeStates(end_s=10.0), timeout_s=0.2)
        counter = itertools.count()
        loop = asyncio.get_running_loop()
        began = loop.time()
        result, _ = await run_step(target, _scenario(timeout_s=0.1), Step(600, 0.3), lambda: f"k{next(counter)}")
        await target.close()
        return result.failed, loop.time() - began

    failed, took = asyncio.run(go())
    assert failed == 3 and took < 2.0


class CountingTarget:
    """Fails every execution of a step once more than `max_sends` were sent in it (a rate ceiling
    that does not depend on timing: a 0.5 s rung at r/min sends floor(r / 120))."""

    name = "counting"

    def __init__(self, max_sends: int) -> None:
        self.max_sends = max_sends
        self.offered: list[int] = []

    async def prepare(self, scenario: Scenario) -> None:
        pass

    async def submit(self, scenario: Scenario, key: str, book: SampleBook, lag_s: float) -> None:
        book.sent(key, lag_s)
        if book.sent_count == 1:
            self.offered.append(0)
        self.offered[-1] += 1
        book.ended(key, "FAILED" if book.sent_count > self.max_sends else "SUCCESS")

    async def settle(self) -> None:
        pass

    async def quiesce(self, timeout_s: float) -> int:
        return 0

    async def close(self) -> None:
        pass


def test_a_climbing_run_offers_the_ladders_rates_and_reads_cpu_around_each_rung() -> None:
    ticks = itertools.count(0, 100)
    measured: list[CpuSnapshot] = []

    def measure() -> CpuSnapshot:
        t = next(ticks)
        measured.append(CpuSnapshot(t / 100, {7: ("executor", t)}, machine_ticks=2 * t))
        return measured[-1]

    target = CountingTarget(max_sends=18)
    scenario = _scenario()
    run = asyncio.run(run_climb(target, scenario, Ladder(600), 0.5, "t", measure=measure))
    rates = [step.target_per_min for step in run.steps]
    # 600..2400 doubling; 2400 sends 20 > 18 and fails; bisect: 1800 (15) and 2100 (17) pass, 2300 (19) fails.
    assert rates == [600, 1200, 2400, 1800, 2100, 2300]
    assert target.offered == [5, 10, 20, 15, 17, 19]
    assert run.climbed and run.notes == ["2,400/min failed: 2 failed, 0 timed out of 20",
                                         "2,300/min failed: 1 failed, 0 timed out of 19"]
    assert [c.rate_per_min for c in run.cpu] == rates and len(measured) == 12
    assert run.cpu[0].delta.executions == 5
    figure = headline(run, scenario)
    assert figure.value == 2100 and "2,300/min failed" in figure.text and not figure.lower_bound


def test_the_cpu_table_and_the_json_round_trip_of_a_climbed_run(tmp_path: Path) -> None:
    step = StepResult("two-tasks", "harrier", 2000, 10.0, 333, 333, 0, 0, 1990, 0.09, 0.12, 0.16, 0.2, 0.1, 0.06,
                      0.02, server_mean_s=0.061, http_p50_s=0.010, http_p99_s=0.036)
    delta = CpuDelta(10.0, {"broker": 6.0, "executor": 1.5, REST: 0.5}, {"broker": 1, "executor": 6, REST: 0}, 300)
    run = ScenarioRun("two-tasks", "harrier", [step], climbed=True, cpu=[RungCpu(2000, delta)])
    table = cpu_table(run).splitlines()
    assert table[0] == "| harrier / two-tasks: component (processes) | 2,000/min |"
    assert table[2:] == ["| broker (1) | 20.00 s (60%) |", "| executor (6) | 5.00 s (15%) |",
                         f"| {REST} | 1.67 s (5%) |", "| **all listed** | 25.00 s (75%) |",
                         "| executions ended / window | 300 / 10 s |"]
    assert "| HTTP p50 | HTTP p99 |" in steps_table([run]) and "| 0.061 | 0.010 | 0.036 |" in steps_table([run])
    write_json(tmp_path / "full.json", [run], {"mode": "full"})
    assert load_json(tmp_path / "full.json")[1] == [run]
