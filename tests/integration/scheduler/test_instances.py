"""Two scheduler processes sharing the triggers; one is killed mid-run (SIGKILL).

Every flow has a per-second cron. After the run, each flow's fired ticks must be unique and
contiguous from the first to the last: a tick fired twice (the killed owner's transaction
and its successor's) or lost in the hand-over would show up as a duplicate or a gap.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from scheduler_kafka import AutoCompleter, Cluster

pytestmark = pytest.mark.integration

FLOWS = 8
EVERY_SECOND = """  - id: tick
    type: io.kestra.plugin.core.trigger.Schedule
    withSeconds: true
    cron: "* * * * * *"
"""


def _start(config: Path, name: str, logs: Path) -> subprocess.Popen[bytes]:
    log = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "harrier.scheduler", "--config", str(config), "--instance-id", name],
        stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[3],
    )


def _wait_for_commands(completer: AutoCompleter, flows: set[str], since: datetime, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        fired = {c.flow_id for c in completer.reader.commands if datetime.fromisoformat(c.trigger["date"]) >= since}
        if fired >= flows:
            return
        time.sleep(0.2)
    raise TimeoutError(f"flows without a tick since {since}: {sorted(flows - fired)}")


def test_killed_instance_loses_and_doubles_no_tick(cluster: Cluster, tmp_path: Path) -> None:
    settings = cluster.settings
    config = tmp_path / "scheduler.yml"
    config.write_text(
        f"kafka:\n  bootstrap-servers: {settings.kafka.bootstrap_servers}\n"
        f"topics:\n  prefix: {settings.topics.prefix}\n  partitions: {settings.topics.partitions}\n"
    )
    flows = {f"tick-{i}" for i in range(FLOWS)}
    for flow_id in sorted(flows):
        cluster.deploy(flow_id, EVERY_SECOND)
    completer = AutoCompleter(cluster)
    completer.start()
    first = _start(config, "first", tmp_path)
    second = None
    try:
        _wait_for_commands(completer, flows, datetime.now().astimezone(), 30)
        second = _start(config, "second", tmp_path)
        time.sleep(8)  # rebalance: both instances own partitions now
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = datetime.now().astimezone()
        # The session times out (6 s), the second instance restores and catches up.
        _wait_for_commands(completer, flows, killed_at + timedelta(seconds=8), 40)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
        time.sleep(1.0)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
        completer.stop()

    logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.log"))
    by_flow: dict[str, list[datetime]] = {}
    for command in completer.reader.commands:
        by_flow.setdefault(command.flow_id, []).append(datetime.fromisoformat(command.trigger["date"]))
    assert set(by_flow) == flows, logs
    for flow_id, dates in sorted(by_flow.items()):
        doubled = [d for d, n in Counter(dates).items() if n > 1]
        assert not doubled, f"{flow_id}: ticks fired twice: {doubled}\n{logs}"
        ordered = sorted(dates)
        expected = [ordered[0] + timedelta(seconds=s) for s in range(int((ordered[-1] - ordered[0]).total_seconds()) + 1)]
        lost = sorted(set(expected) - set(ordered))
        assert not lost, f"{flow_id}: ticks lost: {lost}\n{logs}"
        assert ordered[-1] >= killed_at + timedelta(seconds=8), f"{flow_id} stopped firing after the kill\n{logs}"
    assert "assigned partitions" in (tmp_path / "second.log").read_text()
    if os.environ.get("HARRIER_TEST_VERBOSE"):
        print({flow: len(dates) for flow, dates in by_flow.items()})
