from __future__ import annotations

from datetime import datetime, timedelta, timezone

from harrier.core.states import State
from harrier.scheduler.monitor import find_stale_locks
from harrier.scheduler.partition import Lock

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
GRACE = timedelta(minutes=1)


def test_reports_missing_and_ended_but_not_young_or_running() -> None:
    old = NOW - timedelta(minutes=5)
    locks = [
        Lock("ns/f/missing", "e-missing", old),
        Lock("ns/f/ended", "e-ended", old),
        Lock("ns/f/running", "e-running", old),
        Lock("ns/f/young", "e-young", NOW - timedelta(seconds=5)),
    ]
    present = {"e-ended": State.FAILED, "e-running": State.RUNNING}
    stale = find_stale_locks(locks, present, NOW, GRACE)
    assert [(s.uid, s.reason) for s in stale] == [
        ("ns/f/missing", "execution not found on execution-states"),
        ("ns/f/ended", "execution ended FAILED but the lock was not released"),
    ]
