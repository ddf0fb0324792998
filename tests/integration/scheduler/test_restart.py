"""A restart reads only the flow records written since its checkpoint, unless it is stale."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from scheduler_kafka import Cluster, wait_running

from harrier.scheduler.clock import ManualClock
from harrier.scheduler.runtime import FLOWS_CHECKPOINT_MAX_AGE, Scheduler

pytestmark = pytest.mark.integration

UTC = timezone.utc
T0 = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)


def schedule(cron: str) -> str:
    return f"""  - id: cron
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "{cron}"
"""


def crons(scheduler: Scheduler) -> dict[str, str]:
    """Flow id -> cron of every trigger state the scheduler holds."""
    return {state.flow_id: state.declaration["cron"]
            for part in scheduler.partitions.values() for state in part.iter_states()}


def test_restart_reads_flows_from_its_checkpoint_and_applies_what_changed_meanwhile(cluster: Cluster) -> None:
    clock = ManualClock(T0)
    for flow_id in ("kept", "changed", "deleted"):
        cluster.deploy(flow_id, schedule("0 * * * *"))
    first = cluster.start_scheduler(clock, "first")
    wait_running(first)
    assert first.flow_records_read == 3
    time.sleep(1.5)  # the new states and the progress (with the flows checkpoint) commit
    cluster.stop_schedulers()

    # While no scheduler runs: a new revision, a deletion and a new flow.
    cluster.deploy("changed", schedule("30 * * * *"), revision=2)
    cluster.produce(cluster.topic("flows"), None, key=b"company.team/deleted")
    cluster.deploy("new", schedule("15 * * * *"))

    second = cluster.start_scheduler(clock, "second")
    wait_running(second)
    # Running means every flows partition was read to its end.
    assert second.flow_records_read == 3
    assert crons(second) == {"kept": "0 * * * *", "changed": "30 * * * *", "new": "15 * * * *"}
    time.sleep(1.5)
    cluster.stop_schedulers()

    # A checkpoint older than half the tombstone retention is not trusted: every record is
    # read again, and the states come out the same.
    clock.advance(FLOWS_CHECKPOINT_MAX_AGE + timedelta(minutes=1))
    third = cluster.start_scheduler(clock, "third")
    wait_running(third)
    assert third.flow_records_read == 6
    assert crons(third) == {"kept": "0 * * * *", "changed": "30 * * * *", "new": "15 * * * *"}
