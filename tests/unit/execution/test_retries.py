"""Retries (constant, exponential, random; maxAttempts, maxDuration, warningOnRetry) and
task timeouts, all as timers in the execution state."""

from __future__ import annotations

from datetime import timedelta

from harrier.core.states import State
from harrier.core.transitions.simulation import EPOCH, Outcome, Simulation

HEADER = "id: f\nnamespace: test\n"


def _retrying(flow, retry: str, timeout: str = ""):
    return flow(HEADER + f"""
tasks:
  - id: flaky
    type: Log
    message: x
    {timeout}
    retry: {retry}
""")


def _attempt_starts(sim: Simulation) -> list[float]:
    return [(t.created_at - EPOCH).total_seconds() for t in sim.worker_tasks]


def always_fail(task):
    return Outcome(State.FAILED, error=f"attempt {task.attempt} failed")


def test_constant_retry_waits_the_interval_and_stops_at_max_attempts(flow) -> None:
    f = _retrying(flow, "{type: constant, interval: PT5S, maxAttempts: 3}")
    sim = Simulation([f], worker=always_fail)
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert _attempt_starts(sim) == [0, 5, 10]
    assert [a.number for a in ex.task_runs[0].attempts] == [1, 2, 3]
    assert [a.state for a in ex.task_runs[0].attempts] == [State.FAILED] * 3
    assert ex.task_runs[0].error == "attempt 3 failed"
    assert ex.state is State.FAILED
    # The back-off is logged as an ISO-8601 duration, as the flow writes it (not "0:00:05").
    warnings = [log.message for log in sim.logs if log.level == "WARN"]
    # The worker logged each attempt's error already: neither the retry lines nor an ERROR line
    # of the executor repeat it.
    assert warnings[:2] == ["attempt 1 failed, retrying in PT5S", "attempt 2 failed, retrying in PT5S"]
    assert [log.message for log in sim.logs if log.level == "ERROR"] == []
    assert [h.state for h in ex.task_runs[0].history] == [
        State.CREATED, State.RUNNING, State.RETRYING, State.RUNNING, State.RETRYING, State.RUNNING, State.FAILED,
    ]


def test_retry_succeeds_on_a_later_attempt_and_warning_on_retry(flow) -> None:
    for warn, final in (("false", State.SUCCESS), ("true", State.WARNING)):
        f = _retrying(flow, f"{{type: constant, interval: PT1S, maxAttempts: 5, warningOnRetry: {warn}}}")
        sim = Simulation([f], worker=lambda t: Outcome() if t.attempt == 3 else always_fail(t))
        sim.create(f)
        sim.run()
        ex = sim.execution()
        assert len(sim.worker_tasks) == 3
        assert sim.worker_tasks[2].context["taskrun"]["attemptsCount"] == 2
        assert ex.task_runs[0].state is final
        assert ex.state is final


def test_exponential_retry_doubles_up_to_max_interval(flow) -> None:
    f = _retrying(flow, "{type: exponential, interval: PT1S, maxInterval: PT4S, maxAttempts: 6}")
    sim = Simulation([f], worker=always_fail)
    sim.create(f)
    sim.run()
    starts = _attempt_starts(sim)
    assert [b - a for a, b in zip(starts, starts[1:])] == [1, 2, 4, 4, 4]


def test_exponential_retry_with_delay_factor(flow) -> None:
    f = _retrying(flow, "{type: exponential, interval: PT1S, maxInterval: PT1M, delayFactor: 3, maxAttempts: 4}")
    sim = Simulation([f], worker=always_fail)
    sim.create(f)
    sim.run()
    starts = _attempt_starts(sim)
    assert [b - a for a, b in zip(starts, starts[1:])] == [1, 3, 9]


def test_random_retry_stays_within_bounds_and_is_replayable(flow) -> None:
    f = _retrying(flow, "{type: random, minInterval: PT1S, maxInterval: PT3S, maxAttempts: 6}")
    waits = []
    for _ in range(2):
        sim = Simulation([f], worker=always_fail)
        sim.create(f)
        sim.run()
        starts = _attempt_starts(sim)
        waits.append([b - a for a, b in zip(starts, starts[1:])])
    assert len(waits[0]) == 5
    assert all(1 <= w <= 3 for w in waits[0])
    assert len(set(waits[0])) > 1
    assert waits[0] == waits[1]


def test_max_duration_stops_retrying(flow) -> None:
    f = _retrying(flow, "{type: constant, interval: PT10S, maxDuration: PT25S}")
    sim = Simulation([f], worker=always_fail)
    sim.create(f)
    sim.run()
    # Attempts at 0, 10, 20; a fourth would start at 30s > 25s after the first.
    assert _attempt_starts(sim) == [0, 10, 20]
    assert sim.execution().state is State.FAILED


def test_timeout_fails_the_attempt_and_asks_workers_to_kill_it(flow) -> None:
    f = _retrying(flow, "{type: constant, interval: PT1S, maxAttempts: 2}", timeout="timeout: PT30S")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED
    assert _attempt_starts(sim) == [0, 31]
    assert [c.task_run_id for c in sim.controls] == [ex.task_runs[0].id] * 2
    attempts = ex.task_runs[0].attempts
    assert [a.error for a in attempts] == ["timed out after PT30S"] * 2
    assert attempts[0].ended_at - attempts[0].started_at == timedelta(seconds=30)


def test_result_of_a_timed_out_attempt_is_dropped(flow) -> None:
    f = _retrying(flow, "{type: constant, interval: PT1S, maxAttempts: 2}", timeout="timeout: PT30S")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run(timers=False)
    first = sim.worker_tasks[0]
    sim.advance()  # the timeout: attempt 1 fails, a retry is armed
    sim.advance()  # the retry: attempt 2 is dispatched
    assert [t.attempt for t in sim.worker_tasks] == [1, 2]
    late = sim.result_of(first, Outcome())
    before = sim.execution()
    result = sim.send(late)
    assert not result.changed
    assert "already ended" in result.dropped
    assert sim.execution() is before


def test_allow_failure_timeout_ends_in_warning(seed) -> None:
    flow = seed("timeouts_and_options.yml")
    sim = Simulation([flow], worker=lambda t: None if t.task_id == "slow" else Outcome())
    sim.create(flow)
    sim.run()
    assert sim.states()["slow"] == [State.WARNING]
    assert sim.execution().state is State.WARNING


def test_seed_retry_policies_flow(seed) -> None:
    flow = seed("retry_policies.yml")
    sim = Simulation([flow], worker=lambda t: Outcome() if t.attempt == 2 else always_fail(t))
    sim.create(flow)
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert [(t.task_id, t.attempt) for t in sim.worker_tasks] == [
        ("constant", 1), ("constant", 2), ("exponential", 1), ("exponential", 2), ("random", 1), ("random", 2),
    ]
