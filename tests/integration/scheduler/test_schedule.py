"""Schedule triggers through the real broker, with a manual clock."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from scheduler_kafka import AutoCompleter, Cluster, CommandReader, wait_running

from harrier.core.states import State
from harrier.scheduler.clock import ManualClock

pytestmark = pytest.mark.integration

UTC = timezone.utc
T0 = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)


def schedule(cron: str, extra: str = "") -> str:
    return f"""  - id: cron
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "{cron}"
    inputs: {{who: scheduler}}
{extra}"""


def test_cron_fires_on_time_and_waits_for_the_lock(cluster: Cluster) -> None:
    clock = ManualClock(T0)
    cluster.deploy("every-five", schedule("*/5 * * * *"))
    reader = CommandReader(cluster)
    scheduler = cluster.start_scheduler(clock)
    wait_running(scheduler)

    clock.set(datetime(2026, 1, 1, 12, 4, 59, 900_000, tzinfo=UTC))
    assert reader.poll(1.0) == []

    clock.set(datetime(2026, 1, 1, 12, 5, 0, 200_000, tzinfo=UTC))
    [first] = reader.wait(1)
    assert (first.namespace, first.flow_id, first.inputs) == ("company.team", "every-five", {"who": "scheduler"})
    assert first.trigger["date"] == "2026-01-01T12:05:00+00:00"
    assert first.trigger["next"] == "2026-01-01T12:10:00+00:00"

    # Still running at the next tick: the trigger is locked, nothing fires.
    clock.set(datetime(2026, 1, 1, 12, 10, 0, 100_000, tzinfo=UTC))
    assert len(reader.poll(1.0)) == 1

    # The execution ends: the lock is released and the (now due) tick fires.
    cluster.snapshot(first.execution_id, "company.team", "every-five", State.SUCCESS)
    second = reader.wait(2)[1]
    assert second.trigger["date"] == "2026-01-01T12:10:00+00:00"
    assert second.execution_id != first.execution_id
    reader.close()


def test_backfill_creates_one_execution_per_past_tick(cluster: Cluster) -> None:
    clock = ManualClock(T0)
    backfill = """    backfill:
      start: "2026-01-01T08:00:00Z"
      end: "2026-01-01T11:00:00Z"
      labels: {run: history}
"""
    cluster.deploy("hourly", schedule("0 * * * *", backfill))
    reader = CommandReader(cluster)
    cluster.start_scheduler(clock)
    commands = reader.wait(4)
    time.sleep(1.0)
    assert len(reader.poll(0.5)) == 4, "a backfill tick fired twice"
    assert sorted(c.trigger["date"] for c in commands) == [f"2026-01-01T{h:02d}:00:00+00:00" for h in (8, 9, 10, 11)]
    assert all(c.trigger["backfill"] is True and c.labels == {"run": "history"} for c in commands)
    reader.close()


def test_missed_ticks_follow_each_policy_after_a_restart(cluster: Cluster) -> None:
    clock = ManualClock(T0)
    for policy in ("ALL", "LAST", "NONE"):
        cluster.deploy(f"missed-{policy.lower()}", schedule("* * * * *", f"    recoverMissedSchedules: {policy}\n"))
    first = cluster.start_scheduler(clock, "first")
    wait_running(first)
    time.sleep(1.5)  # let the new states commit
    cluster.stop_schedulers()

    # Down from 12:00:30 to 12:05:30: the 12:01 .. 12:05 ticks are missed.
    clock.set(datetime(2026, 1, 1, 12, 5, 30, tzinfo=UTC))
    completer = AutoCompleter(cluster)
    completer.start()
    reader = CommandReader(cluster)
    second = cluster.start_scheduler(clock, "second")
    wait_running(second)
    commands = reader.wait(6, timeout_s=30)
    time.sleep(1.5)
    commands = reader.poll(0.5)
    completer.stop()
    by_flow: dict[str, list[str]] = {}
    for c in commands:
        by_flow.setdefault(c.flow_id, []).append(c.trigger["date"][11:16])
    assert sorted(by_flow["missed-all"]) == ["12:01", "12:02", "12:03", "12:04", "12:05"]
    assert by_flow["missed-last"] == ["12:05"]
    assert "missed-none" not in by_flow

    # NONE waits for the next tick, which fires on time.
    clock.set(datetime(2026, 1, 1, 12, 6, 0, 300_000, tzinfo=UTC))
    later = reader.wait(9)
    assert sorted((c.flow_id, c.trigger["date"][11:16]) for c in later[6:]) == [
        ("missed-all", "12:06"), ("missed-last", "12:06"), ("missed-none", "12:06")]
    reader.close()
