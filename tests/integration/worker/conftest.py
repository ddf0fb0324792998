"""Fixtures for worker integration tests: topics under a unique prefix, a worker in a thread,
and a harness that sends WorkerTasks and reads back results, logs and metrics."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from harrier.config import Settings
from harrier.core.messages import LogEntry, MetricEntry, WorkerControl, WorkerResult, WorkerTask
from harrier.storage import LocalStorage
from harrier.topics import build_specs, create_admin, create_consumer, create_producer, ensure_topics, read_dead_letter
from harrier.topics.records import LOG_BATCH, METRIC, WORKER_CONTROL, WORKER_RESULT, WORKER_TASK
from harrier.topics.serdes import encode_key
from harrier.worker import Worker

WORKER_TOPICS = ("worker-tasks", "worker-results", "worker-controls", "logs", "metrics", "dead-letters")


def make_settings(bootstrap: str, prefix: str, storage: Path, **worker: Any) -> Settings:
    """Settings for a test: its own topic prefix, small pools, fast group session."""
    return Settings.model_validate(
        {
            "kafka": {"bootstrap-servers": bootstrap, "consumer": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}},
            "topics": {"prefix": prefix, "partitions": 2},
            # Scripts run as this process's user: the tests watch them through files in their own
            # temporary folders (tests/integration/test_security.py runs them as nobody).
            "worker": {"threads": 4, "async-concurrency": 300, "script-user": "", **worker},
            "storage": {"base-path": str(storage)},
        }
    )


def create_worker_topics(settings: Settings) -> None:
    """Create the worker's topics under the settings' prefix through the topics admin."""
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs[name] for name in WORKER_TOPICS])


def worker_task(task: dict[str, Any], *, task_id: str | None = None, execution_id: str | None = None, context: dict[str, Any] | None = None, value: Any = None, attempt: int = 1) -> WorkerTask:
    """A WorkerTask as the executor would send it."""
    return WorkerTask(
        execution_id=execution_id or uuid.uuid4().hex[:12],
        task_run_id=uuid.uuid4().hex[:16],
        task_id=task_id or task["id"],
        attempt=attempt,
        namespace="company.team",
        flow_id="worker_test",
        flow_revision=1,
        value=value,
        task=task,
        context=context or {},
        created_at=datetime.now(timezone.utc),
    )


class Harness:
    """Send worker records and read what the worker wrote."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prefix = settings.topics.prefix
        self.producer = create_producer(settings, client_id="test-harness")
        self._readers: dict[str, Consumer] = {}
        self.seen: dict[str, list[Any]] = {"worker-results": [], "logs": [], "metrics": []}

    def send(self, *records: WorkerTask) -> list[WorkerTask]:
        for record in records:
            self.producer.produce(self.prefix + "worker-tasks", key=encode_key(record.task_run_id), value=WORKER_TASK.encode(record))
        assert self.producer.flush(15) == 0
        return list(records)

    def send_raw(self, value: bytes, key: bytes = b"raw") -> None:
        self.producer.produce(self.prefix + "worker-tasks", key=key, value=value)
        assert self.producer.flush(15) == 0

    def kill(self, record: WorkerTask) -> None:
        control = WorkerControl(execution_id=record.execution_id, task_run_id=record.task_run_id)
        self.producer.produce(self.prefix + "worker-controls", key=encode_key(record.task_run_id), value=WORKER_CONTROL.encode(control))
        assert self.producer.flush(15) == 0

    def _reader(self, logical: str) -> Consumer:
        if logical not in self._readers:
            topic = self.prefix + logical
            consumer = create_consumer(self.settings, None, client_id=f"test-read-{logical}")
            partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
            consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
            self._readers[logical] = consumer
        return self._readers[logical]

    def _pump(self, logical: str, serde: Any) -> None:
        consumer = self._reader(logical)
        while (message := consumer.poll(0.05)) is not None:
            assert message.error() is None, message.error()
            self.seen[logical].append(serde.decode(message.value()))

    def results(self, records: list[WorkerTask], timeout_s: float = 20.0) -> dict[str, WorkerResult]:
        """Wait for one result per record; return them by task run id."""
        wanted = {r.task_run_id for r in records}
        deadline = time.monotonic() + timeout_s
        while True:
            self._pump("worker-results", WORKER_RESULT)
            found = {r.task_run_id: r for r in self.seen["worker-results"] if r.task_run_id in wanted}
            if len(found) == len(wanted) or time.monotonic() > deadline:
                missing = len(wanted) - len(found)
                assert missing == 0, f"{missing} of {len(wanted)} results missing after {timeout_s}s"
                return found

    def result(self, record: WorkerTask, timeout_s: float = 20.0) -> WorkerResult:
        return self.results([record], timeout_s)[record.task_run_id]

    def logs(self, record: WorkerTask, settle_s: float = 0.5) -> list[LogEntry]:
        """The log lines of a task run (read until nothing new arrives for `settle_s`)."""
        end = time.monotonic() + settle_s
        while time.monotonic() < end:
            self._pump("logs", LOG_BATCH)
        return [e for b in self.seen["logs"] if b.task_run_id == record.task_run_id for e in b.entries()]

    def metrics(self, record: WorkerTask, settle_s: float = 0.5) -> list[MetricEntry]:
        end = time.monotonic() + settle_s
        while time.monotonic() < end:
            self._pump("metrics", METRIC)
        return [m for m in self.seen["metrics"] if m.task_run_id == record.task_run_id]

    def dead_letters(self, count: int, timeout_s: float = 15.0) -> list[Any]:
        consumer = self._reader("dead-letters")
        found = []
        deadline = time.monotonic() + timeout_s
        while len(found) < count and time.monotonic() < deadline:
            message = consumer.poll(0.1)
            if message is not None and message.error() is None:
                found.append(read_dead_letter(message))
        return found

    def close(self) -> None:
        for consumer in self._readers.values():
            consumer.close()


class RunningWorker:
    """A Worker running in a background thread."""

    def __init__(self, settings: Settings, storage: LocalStorage, **kwargs: Any) -> None:
        self.worker = Worker(settings, storage=storage, **kwargs)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="test-worker", daemon=True)
        self.thread.start()
        assert self.worker.ready.wait(20), "worker did not start"

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
            raise

    def stop(self, timeout_s: float = 30.0) -> None:
        self.worker.stop()
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "worker did not stop"
        assert self.error is None, self.error


@pytest.fixture(name="worker_task")
def worker_task_fixture() -> Any:
    """Build a WorkerTask as the executor would send it."""
    return worker_task


@pytest.fixture(name="make_settings")
def make_settings_fixture() -> Any:
    """Build test settings: `make_settings(bootstrap, prefix, storage_path, **worker)`."""
    return make_settings


@pytest.fixture(name="worker_tools")
def worker_tools_fixture() -> Any:
    """The harness classes and helpers, for tests that run their own workers."""
    return {"Harness": Harness, "RunningWorker": RunningWorker, "create_worker_topics": create_worker_topics}


@pytest.fixture(scope="module")
def worker_env(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, LocalStorage]]:
    """Topics under a prefix unique to the test module, and a storage folder."""
    storage_path = tmp_path_factory.mktemp("storage")
    settings = make_settings(kafka_bootstrap, f"test-{uuid.uuid4().hex[:10]}.", storage_path)
    create_worker_topics(settings)
    yield settings, LocalStorage(storage_path)


@pytest.fixture(scope="module")
def harness(worker_env: tuple[Settings, LocalStorage]) -> Iterator[Harness]:
    h = Harness(worker_env[0])
    yield h
    h.close()


@pytest.fixture(scope="module")
def worker(worker_env: tuple[Settings, LocalStorage]) -> Iterator[RunningWorker]:
    """One worker shared by the tests of a module (each test uses its own execution ids)."""
    settings, storage = worker_env
    running = RunningWorker(settings, storage, shutdown_grace_s=5)
    yield running
    running.stop()
