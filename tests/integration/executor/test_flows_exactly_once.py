"""Exactly once with real flows: 1,000 executions of a 3-task flow on two executor stream
processes; one is killed with SIGKILL mid-run and restarted by its supervisor.

Every execution must end exactly once (one terminal snapshot per execution id on
`execution-states`, read committed), with exactly three task runs of one attempt each, and
every worker task must have been dispatched once (one committed `worker-tasks` record per
task run id).
"""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from harrier.config import Settings
from harrier.core.messages import CreateExecution, FlowRecord
from harrier.executor import RuntimeConfig, Supervisor
from harrier.executor.processor import create_processor
from harrier.topics import build_specs, create_admin, create_consumer, create_producer, ensure_topics
from harrier.topics.records import FLOW_RECORD, encode_command
from harrier.topics.serdes import decode_envelope, encode_key
from harrier.worker import Worker

pytestmark = pytest.mark.integration

EXECUTIONS = 1000
TOPICS = (
    "flows", "executions", "executions-by-flow", "worker-results", "execution-states", "worker-tasks",
    "worker-controls", "logs", "metrics", "dead-letters",
)
THREE_TASKS = """id: three
namespace: eos
tasks:
  - {id: one, type: Log, message: "one {{ execution.id }}"}
  - {id: two, type: Return, format: "two"}
  - {id: three, type: Log, message: "{{ outputs.two.value }}"}
"""
TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"}


def _reader(settings: Settings, logical: str) -> Consumer:
    consumer = create_consumer(settings, None, f"eos-{logical}")
    topic = settings.topics.prefix + logical
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    return consumer


def test_every_execution_ends_exactly_once_across_a_kill(kafka_bootstrap: str, tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "kafka": {"bootstrap-servers": kafka_bootstrap, "consumer": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}},
            "topics": {"prefix": f"eos-{uuid.uuid4().hex[:8]}.", "partitions": 4},
            "executor": {"stream-threads": 2},
            "worker": {"threads": 16},
            "storage": {"base-path": str(tmp_path)},
        }
    )
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs[name] for name in TOPICS])
    producer = create_producer(settings, client_id="eos")
    record = FlowRecord(namespace="eos", id="three", revision=1, source=THREE_TASKS)
    producer.produce(settings.topics.prefix + "flows", key=encode_key(record.uid), value=FLOW_RECORD.encode(record))
    assert producer.flush(10) == 0

    supervisor = Supervisor(
        RuntimeConfig(settings, instance_id="eos"), functools.partial(create_processor, settings), processes=2, restart_delay_s=0.5
    )
    executor = threading.Thread(target=supervisor.run, daemon=True)
    executor.start()
    worker = Worker(settings)
    worker_thread = threading.Thread(target=worker.run, daemon=True)
    worker_thread.start()
    states = _reader(settings, "execution-states")
    try:
        assert worker.ready.wait(60)
        ids = [uuid.uuid4().hex for _ in range(EXECUTIONS)]
        now = datetime.now(UTC)
        for execution_id in ids:
            command = CreateExecution(execution_id=execution_id, namespace="eos", flow_id="three", created_at=now)
            producer.produce(settings.topics.prefix + "executions", key=encode_key(execution_id), value=encode_command(command))
        assert producer.flush(30) == 0

        terminal: Counter[str] = Counter()
        last: dict[str, dict] = {}
        killed = False
        deadline = time.monotonic() + 240
        while len(terminal) < EXECUTIONS and time.monotonic() < deadline:
            for message in states.consume(1000, 0.5):
                if message.error() is not None or message.value() is None:
                    continue
                data = decode_envelope(message.value()).data
                key = message.key().decode()
                last[key] = data
                if data["state"] in TERMINAL:
                    terminal[key] += 1
            if not killed and len(terminal) >= EXECUTIONS // 5:
                pid = supervisor.pids()[0]
                os.kill(pid, signal.SIGKILL)
                killed = True
        assert killed, "the run ended before a stream process could be killed"
        assert set(terminal) == set(ids), f"{EXECUTIONS - len(terminal)} execution(s) never ended"
        assert [k for k, n in terminal.items() if n != 1] == []
        for execution_id in ids:
            state = last[execution_id]
            assert state["state"] == "SUCCESS", state
            assert [tr["task_id"] for tr in state["task_runs"]] == ["one", "two", "three"]
            assert all(len(tr["attempts"]) == 1 for tr in state["task_runs"])
        # The survivor may finish the run before the supervisor has respawned the killed one.
        restart_deadline = time.monotonic() + 30
        while supervisor.restarts < 1 and time.monotonic() < restart_deadline:
            time.sleep(0.2)
        assert supervisor.restarts >= 1

        tasks = _reader(settings, "worker-tasks")
        dispatched: Counter[bytes] = Counter()
        expected = 3 * EXECUTIONS
        deadline = time.monotonic() + 60
        while sum(dispatched.values()) < expected and time.monotonic() < deadline:
            for message in tasks.consume(1000, 0.5):
                if message.error() is None:
                    dispatched[message.key()] += 1
        # Drain a little longer: a duplicate would show up after the expected count.
        for message in tasks.consume(1000, 2.0):
            if message.error() is None:
                dispatched[message.key()] += 1
        tasks.close()
        assert len(dispatched) == expected
        assert [k for k, n in dispatched.items() if n != 1] == []
    finally:
        states.close()
        worker.stop()
        supervisor.request_stop()
        worker_thread.join(30)
        executor.join(60)
