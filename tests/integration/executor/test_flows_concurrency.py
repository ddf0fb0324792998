"""Flow concurrency limits through the broker: QUEUE, CANCEL and FAIL.

Admissions are repartitioned by flow: the executor sends them on `executions-by-flow`
(keyed by flow uid) to an `AdmissionProcessor` run by a second runtime, which answers on
`executions`; that runtime's store has the compacted `flow-slots` changelog, as in
`harrier.executor.app.run_executor`.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from harrier.config import Settings
from harrier.core.messages import CreateExecution, FlowRecord
from harrier.executor import RuntimeConfig, Supervisor
from harrier.executor.processor import AdmissionProcessor, create_processor
from harrier.topics import build_specs, create_admin, create_consumer, create_producer, ensure_topics
from harrier.topics.records import FLOW_RECORD, encode_command
from harrier.topics.serdes import decode_envelope, encode_key
from harrier.worker import Worker

pytestmark = pytest.mark.integration

TOPICS = (
    "flows", "executions", "executions-by-flow", "worker-results", "execution-states", "worker-tasks",
    "worker-controls", "logs", "metrics", "dead-letters", "flow-slots",
)
TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"}


def _flow(behavior: str) -> str:
    return f"""id: limited-{behavior.lower()}
namespace: conc
concurrency: {{limit: 1, behavior: {behavior}}}
tasks:
  - {{id: nap, type: Sleep, duration: PT1S}}
"""


class Cluster:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prefix = settings.topics.prefix
        self.producer = create_producer(settings, client_id="conc")
        self.states: dict[str, dict[str, Any]] = {}
        self.consumer = create_consumer(settings, None, "conc-states")
        topic = self.prefix + "execution-states"
        parts = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])

    def start(self, flow_id: str) -> str:
        execution_id = uuid.uuid4().hex
        command = CreateExecution(execution_id=execution_id, namespace="conc", flow_id=flow_id, created_at=datetime.now(UTC))
        self.producer.produce(self.prefix + "executions", key=encode_key(execution_id), value=encode_command(command))
        assert self.producer.flush(10) == 0
        return execution_id

    def ended(self, ids: list[str], timeout: float = 60.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.states.get(i, {}).get("state") in TERMINAL for i in ids):
                return [self.states[i] for i in ids]
            for message in self.consumer.consume(1000, 0.2):
                if message.error() is None and message.value() is not None:
                    self.states[message.key().decode()] = decode_envelope(message.value()).data
        raise AssertionError(f"not all ended: {[self.states.get(i, {}).get('state') for i in ids]}")


@pytest.fixture(scope="module")
def cluster(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    settings = Settings.model_validate(
        {
            "kafka": {"bootstrap-servers": kafka_bootstrap, "consumer": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}},
            "topics": {"prefix": f"conc-{uuid.uuid4().hex[:8]}.", "partitions": 2},
            "executor": {"stream-threads": 1},
            "worker": {"threads": 8},
            "storage": {"base-path": str(tmp_path_factory.mktemp("storage"))},
        }
    )
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs[name] for name in TOPICS])
    helper = Cluster(settings)
    for behavior in ("QUEUE", "CANCEL", "FAIL"):
        record = FlowRecord(namespace="conc", id=f"limited-{behavior.lower()}", revision=1, source=_flow(behavior))
        helper.producer.produce(helper.prefix + "flows", key=encode_key(record.uid), value=FLOW_RECORD.encode(record))
    assert helper.producer.flush(10) == 0
    executor = Supervisor(RuntimeConfig(settings, instance_id="conc"), functools.partial(create_processor, settings), processes=1)
    owner_config = RuntimeConfig(
        settings, application_id="admissions", instance_id="conc", inputs=("executions-by-flow",), changelog="flow-slots"
    )
    owner = Supervisor(owner_config, AdmissionProcessor, processes=1)
    threads = [threading.Thread(target=s.run, daemon=True) for s in (executor, owner)]
    for thread in threads:
        thread.start()
    worker = Worker(settings)
    worker_thread = threading.Thread(target=worker.run, daemon=True)
    worker_thread.start()
    assert worker.ready.wait(60)
    try:
        yield helper
    finally:
        worker.stop()
        executor.request_stop()
        owner.request_stop()
        worker_thread.join(30)
        for thread in threads:
            thread.join(60)


def _interval(state: dict[str, Any]) -> tuple[datetime, datetime]:
    attempt = state["task_runs"][0]["attempts"][0]
    return datetime.fromisoformat(attempt["started_at"]), datetime.fromisoformat(attempt["ended_at"])


def test_queue_runs_one_at_a_time(cluster: Cluster) -> None:
    ids = [cluster.start("limited-queue") for _ in range(3)]
    states = cluster.ended(ids)
    assert [s["state"] for s in states] == ["SUCCESS"] * 3
    assert sum("QUEUED" in [h["state"] for h in s["history"]] for s in states) == 3
    intervals = sorted(_interval(s) for s in states)
    assert all(earlier[1] <= later[0] for earlier, later in zip(intervals, intervals[1:])), intervals


def test_cancel_and_fail_end_the_extra_execution(cluster: Cluster) -> None:
    for flow_id, extra in (("limited-cancel", "CANCELLED"), ("limited-fail", "FAILED")):
        first = cluster.start(flow_id)
        time.sleep(0.3)
        second = cluster.start(flow_id)
        states = cluster.ended([first, second])
        assert [s["state"] for s in states] == ["SUCCESS", extra]
        assert "concurrency limit" in states[1]["error"]
        assert states[1]["task_runs"] == []
