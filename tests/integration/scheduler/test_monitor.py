"""The lock monitor reads execution-states on its own and reports locks that cannot end."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from scheduler_kafka import Cluster

from harrier.core.states import State
from harrier.scheduler.clock import ManualClock
from harrier.scheduler.monitor import LockMonitor
from harrier.scheduler.partition import Lock
from harrier.topics.clients import create_consumer

pytestmark = pytest.mark.integration


def test_scan_reports_vanished_and_unreleased_locks_once(cluster: Cluster) -> None:
    now = datetime.now(timezone.utc)
    cluster.snapshot("running", "company.team", "f", State.RUNNING)
    cluster.snapshot("ended", "company.team", "f", State.SUCCESS)
    cluster.snapshot("gone", "company.team", "f", State.RUNNING)
    cluster.produce(cluster.topic("execution-states"), None, key=b"gone")  # tombstoned
    old = now - timedelta(minutes=10)
    locks = [Lock("company.team/a/t", "running", old), Lock("company.team/b/t", "ended", old),
             Lock("company.team/c/t", "gone", old), Lock("company.team/d/t", "never-created", old),
             Lock("company.team/e/t", "just-created", now)]
    reported = []
    consumer = create_consumer(cluster.settings, None, "monitor-test", overrides={"enable.partition.eof": True})
    monitor = LockMonitor(consumer, cluster.topic("execution-states"), lambda: locks, ManualClock(now),
                          grace=timedelta(minutes=1), on_stale=reported.append)
    found = monitor.scan()
    assert sorted((s.uid, s.reason) for s in found) == [
        ("company.team/b/t", "execution ended SUCCESS but the lock was not released"),
        ("company.team/c/t", "execution not found on execution-states"),
        ("company.team/d/t", "execution not found on execution-states"),
    ]
    monitor.scan()
    assert len(reported) == 3, "a stale lock was reported twice"
    # A later scan reads only what came since, and still sees it.
    cluster.snapshot("running", "company.team", "f", State.SUCCESS)
    found = monitor.scan()
    assert ("company.team/a/t", "execution ended SUCCESS but the lock was not released") in [
        (s.uid, s.reason) for s in found]
    assert len(reported) == 4
    # What it keeps is the latest state of the locked executions, nothing of the others.
    cluster.snapshot("unlocked", "company.team", "f", State.RUNNING)
    monitor.scan()
    assert "unlocked" not in monitor._present and set(monitor._present) <= {lock.execution_id for lock in locks}
    consumer.close()
