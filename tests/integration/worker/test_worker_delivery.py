"""Delivery promises: back-pressure, graceful stop, redelivery after a crash, committed offsets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from harrier.core.states import State
from harrier.storage import LocalStorage
from harrier.topics import create_consumer

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent


def fresh(make_settings: Any, worker_tools: Any, kafka_bootstrap: str, tmp_path: Path, **worker: Any) -> tuple[Any, LocalStorage, Any]:
    settings = make_settings(kafka_bootstrap, f"test-{uuid.uuid4().hex[:10]}.", tmp_path, **worker)
    worker_tools["create_worker_topics"](settings)
    return settings, LocalStorage(tmp_path), worker_tools["Harness"](settings)


def committed_lag(settings: Any) -> int:
    """Records of worker-tasks not covered by the worker group's committed offsets."""
    topic = settings.topics.prefix + "worker-tasks"
    consumer: Consumer = create_consumer(settings, f"{settings.topics.prefix}worker", client_id="test-offsets")
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions]
        lag = 0
        for tp in consumer.committed(partitions, timeout=10):
            _, high = consumer.get_watermark_offsets(tp, timeout=10)
            lag += high - max(tp.offset, 0)
        return lag
    finally:
        consumer.close()


def wait_until(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_lanes_are_bounded_and_partitions_pause_when_full(make_settings: Any, worker_tools: Any, kafka_bootstrap: str, tmp_path: Path, worker_task: Any) -> None:
    settings, storage, harness = fresh(make_settings, worker_tools, kafka_bootstrap, tmp_path, threads=2, **{"async-concurrency": 5})
    running = worker_tools["RunningWorker"](settings, storage, shutdown_grace_s=5, max_waiting=4, pause_after_s=0.1)
    try:
        records = harness.send(*[worker_task({"id": f"nap{i}", "type": "Sleep", "duration": "PT0.3S"}) for i in range(20)],
                               *[worker_task({"id": f"sh{i}", "type": "shell.Commands", "commands": ["sleep 0.2"]}) for i in range(4)])
        started = time.monotonic()
        results = harness.results(records, timeout_s=30)
        elapsed = time.monotonic() - started
        assert all(r.state is State.SUCCESS for r in results.values())
        stats = running.worker.stats
        assert stats.peak_running <= 7
        assert running.worker.pauses >= 1
        # 20 sleeps of 0.3 s, 5 at a time, cannot take less than 4 rounds.
        assert elapsed >= 1.2
        wait_until(lambda: committed_lag(settings) == 0, 5, "offsets committed past every finished task")
    finally:
        running.stop()
        harness.close()


def test_stop_finishes_running_tasks_within_the_grace_period(make_settings: Any, worker_tools: Any, kafka_bootstrap: str, tmp_path: Path, worker_task: Any) -> None:
    settings, storage, harness = fresh(make_settings, worker_tools, kafka_bootstrap, tmp_path)
    running = worker_tools["RunningWorker"](settings, storage, shutdown_grace_s=10)
    try:
        records = harness.send(*[worker_task({"id": f"nap{i}", "type": "Sleep", "duration": "PT1S"}) for i in range(3)])
        wait_until(lambda: running.worker.running == 3, 10, "3 running tasks")
        running.stop()
        results = harness.results(records, timeout_s=5)
        assert all(r.state is State.SUCCESS for r in results.values())
        assert running.worker.stats.released == 0
        assert committed_lag(settings) == 0
    finally:
        harness.close()


def test_stop_releases_what_outlives_the_grace_and_another_worker_runs_it(make_settings: Any, worker_tools: Any, kafka_bootstrap: str, tmp_path: Path, worker_task: Any) -> None:
    settings, storage, harness = fresh(make_settings, worker_tools, kafka_bootstrap, tmp_path)
    first = worker_tools["RunningWorker"](settings, storage, shutdown_grace_s=0.3)
    second = None
    try:
        naps = harness.send(*[worker_task({"id": f"nap{i}", "type": "Sleep", "duration": "PT2S"}) for i in range(4)])
        quick = harness.send(worker_task({"id": "quick", "type": "Log", "message": "hi"}))
        wait_until(lambda: first.worker.running == 4, 10, "4 running tasks")
        harness.results(quick)
        stopped_at = time.monotonic()
        first.stop()
        assert time.monotonic() - stopped_at < 3
        assert first.worker.stats.released == 4
        assert committed_lag(settings) >= 4
        second = worker_tools["RunningWorker"](settings, storage, shutdown_grace_s=5)
        results = harness.results(naps, timeout_s=20)
        assert all(r.state is State.SUCCESS for r in results.values())
        assert second.worker.stats.received >= 4
        wait_until(lambda: committed_lag(settings) == 0, 5, "offsets committed")
    finally:
        if second is not None:
            second.stop()
        harness.close()


@pytest.mark.timeout(60)
def test_a_killed_worker_s_tasks_are_finished_by_another(make_settings: Any, worker_tools: Any, kafka_bootstrap: str, tmp_path: Path, worker_task: Any,
                                                         record_property: Any) -> None:
    """A worker holding 200 in-flight 5 s Sleeps is killed with SIGKILL; a second worker runs them all.

    Results are counted per (task run id, attempt), so a duplicate cannot hide behind another
    result for the same task run. Duplicates from redelivery are allowed by design (the executor
    drops results for finished attempts): every task run must have at least one SUCCESS result,
    and the number of duplicates is printed and recorded as the `duplicate_results` property.
    """
    settings, storage, harness = fresh(make_settings, worker_tools, kafka_bootstrap, tmp_path, **{"async-concurrency": 300})
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[2])}
    victim = subprocess.Popen([sys.executable, str(HERE / "worker_process.py"), settings.model_dump_json()],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    survivor = None
    try:
        assert victim.stdout is not None
        assert victim.stdout.readline().strip() == "ready"
        started = time.monotonic()
        records = harness.send(*[worker_task({"id": "nap", "type": "Sleep", "duration": "PT5S"}) for _ in range(200)])
        for line in victim.stdout:
            if line.strip() == "running=200":
                break
        else:
            pytest.fail("the first worker never held 200 tasks")
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(5)
        survivor = worker_tools["RunningWorker"](settings, storage, shutdown_grace_s=5)
        harness.results(records, timeout_s=40)
        assert time.monotonic() - started < 40
        # Keep reading a little: a duplicate may arrive after the first result of its task run.
        settle = time.monotonic() + 1.0
        while time.monotonic() < settle:
            harness.results(records, timeout_s=0)
        wanted = {r.task_run_id for r in records}
        every = [r for r in harness.seen["worker-results"] if r.task_run_id in wanted]
        per_attempt = Counter((r.task_run_id, r.attempt) for r in every)
        succeeded = {r.task_run_id for r in every if r.state is State.SUCCESS}
        assert succeeded == wanted, f"{len(wanted - succeeded)} of 200 task runs have no SUCCESS result"
        # Every result came from the survivor: a result only exists after a full 5 s sleep.
        assert all((r.ended_at - r.started_at).total_seconds() >= 4.9 for r in every)
        duplicates = sum(n - 1 for n in per_attempt.values())
        record_property("duplicate_results", duplicates)
        print(f"crash test: {len(every)} results for {len(per_attempt)} (task run, attempt) pairs, {duplicates} duplicate(s)")
    finally:
        if victim.poll() is None:
            victim.kill()
        if survivor is not None:
            survivor.stop()
        harness.close()


def test_sigterm_lets_running_tasks_finish_then_exits(make_settings: Any, worker_tools: Any, kafka_bootstrap: str, tmp_path: Path, worker_task: Any) -> None:
    settings, _, harness = fresh(make_settings, worker_tools, kafka_bootstrap, tmp_path)
    marker = tmp_path / "started"
    code = "import sys; from harrier.config import Settings; from harrier.worker import run_worker; run_worker(Settings.model_validate_json(sys.argv[1]))"
    process = subprocess.Popen([sys.executable, "-c", code, settings.model_dump_json()], env={**os.environ, "PYTHONPATH": str(HERE.parents[2])})
    try:
        record = harness.send(worker_task({"id": "work", "type": "shell.Commands", "commands": [f"touch {marker}", "sleep 1", "echo done"]}))[0]
        wait_until(marker.exists, 20, "the task to start")
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        result = harness.result(record, timeout_s=5)
        assert result.state is State.SUCCESS
        assert committed_lag(settings) == 0
    finally:
        if process.poll() is None:
            process.kill()
        harness.close()
