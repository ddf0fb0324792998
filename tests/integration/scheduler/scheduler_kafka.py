"""Helpers for the scheduler's integration tests: deploy flows, read commands, play executor."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient

from harrier.config.settings import Settings
from harrier.core.executions import Execution, StateChange
from harrier.core.messages import CreateExecution, FlowRecord
from harrier.core.states import State
from harrier.scheduler.clock import Clock
from harrier.scheduler.records import CREATE_EXECUTION_SERDE
from harrier.scheduler.runtime import Scheduler
from harrier.topics.admin import ensure_topics
from harrier.topics.clients import create_admin, create_consumer, create_producer
from harrier.topics.records import FLOW_RECORD
from harrier.topics.serdes import ModelSerde
from harrier.topics.specs import build_specs, topic_name

EXECUTION_SERDE = ModelSerde("execution", Execution)

TASKS = """tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
"""


def flow_source(flow_id: str, namespace: str, triggers: str) -> str:
    """A flow's YAML with the given (indented) triggers list."""
    return f"id: {flow_id}\nnamespace: {namespace}\n{TASKS}triggers:\n{triggers}"


def drop_topics(bootstrap: str, prefix: str) -> None:
    """Delete every topic starting with ``prefix``."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    ours = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
    if ours:
        for future in admin.delete_topics(ours, operation_timeout=30).values():
            future.result()


@dataclass
class Cluster:
    """Topics of one test, and clients to talk to them."""

    settings: Settings
    threads: list[tuple[threading.Thread, threading.Event]] = field(default_factory=list)

    @classmethod
    def create(cls, bootstrap: str, prefix: str, partitions: int = 4) -> Cluster:
        settings = Settings.model_validate({
            "kafka": {"bootstrap-servers": bootstrap},
            "topics": {"prefix": prefix, "partitions": partitions},
            "scheduler": {"tick-ms": 1000},
        })
        ensure_topics(create_admin(settings), build_specs(settings).values())
        found = cls(settings)
        found._producer = create_producer(settings, "test")
        return found

    def topic(self, logical: str) -> str:
        return topic_name(self.settings, logical)

    def deploy(self, flow_id: str, triggers: str, *, namespace: str = "company.team", revision: int = 1) -> FlowRecord:
        """Write a flow record to ``flows``."""
        record = FlowRecord(namespace=namespace, id=flow_id, revision=revision,
                            source=flow_source(flow_id, namespace, triggers))
        self._producer.produce(self.topic("flows"), FLOW_RECORD.encode(record), key=record.uid.encode())
        self._producer.flush(10)
        return record

    def snapshot(self, execution_id: str, namespace: str, flow_id: str, state: State,
                 outputs: dict | None = None) -> None:
        """Write an execution snapshot to ``execution-states``, as the executor would."""
        at = datetime.now(timezone.utc)
        history = [StateChange(state=State.CREATED, at=at), StateChange(state=State.RUNNING, at=at)]
        if state not in (State.CREATED, State.RUNNING):
            history.append(StateChange(state=state, at=at))
        execution = Execution(id=execution_id, namespace=namespace, flow_id=flow_id, flow_revision=1, state=state,
                              history=tuple(history), outputs=outputs, created_at=at)
        self._producer.produce(self.topic("execution-states"), EXECUTION_SERDE.encode(execution),
                               key=execution_id.encode())
        self._producer.flush(10)

    def produce(self, topic: str, value: bytes | None, key: bytes | None = None, headers: list | None = None,
                partition: int = -1) -> None:
        self._producer.produce(topic, value, key=key, headers=headers or [], partition=partition)
        self._producer.flush(10)

    def start_scheduler(self, clock: Clock, instance_id: str = "a", **kwargs: object) -> Scheduler:
        """Run a scheduler in a thread until the test ends (or ``stop_scheduler``)."""
        scheduler = Scheduler(self.settings, clock=clock, instance_id=instance_id, **kwargs)  # type: ignore[arg-type]
        stop = threading.Event()
        thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
        thread.start()
        self.threads.append((thread, stop))
        return scheduler

    def stop_schedulers(self) -> None:
        for thread, stop in self.threads:
            stop.set()
            thread.join(30)
        self.threads.clear()

    def close(self) -> None:
        self.stop_schedulers()


def wait_running(scheduler: Scheduler, partitions: int = 4, timeout_s: float = 30) -> None:
    """Wait until the scheduler owns and runs ``partitions`` partitions."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        parts = list(scheduler.partitions.values())
        if len(parts) == partitions and all(p.status.value == "running" for p in parts):
            return
        time.sleep(0.05)
    raise TimeoutError(f"scheduler runs {len(scheduler.partitions)} partitions, expected {partitions}")


def wait_for(condition: Callable[[], bool], timeout_s: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


class CommandReader:
    """Reads the committed CreateExecution commands on ``executions`` from the beginning."""

    def __init__(self, cluster: Cluster) -> None:
        self._consumer = create_consumer(cluster.settings, None, "test-reader", overrides={"enable.partition.eof": True})
        topic = cluster.topic("executions")
        parts = cluster._producer.list_topics(topic, timeout=10).topics[topic].partitions
        self._consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        self.commands: list[CreateExecution] = []

    def poll(self, seconds: float = 0.5) -> list[CreateExecution]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self._consumer.consume(500, timeout=0.1):
                if message.error() is None:
                    self.commands.append(CREATE_EXECUTION_SERDE.decode(message.value()))
                elif message.error().code() != KafkaError._PARTITION_EOF:
                    raise RuntimeError(message.error().str())
        return self.commands

    def wait(self, count: int, timeout_s: float = 20) -> list[CreateExecution]:
        """Wait until ``count`` commands were read; return all read so far."""
        deadline = time.monotonic() + timeout_s
        while len(self.commands) < count and time.monotonic() < deadline:
            self.poll(0.2)
        if len(self.commands) < count:
            raise TimeoutError(f"{len(self.commands)} commands after {timeout_s}s, expected {count}: {self.commands}")
        return self.commands

    def close(self) -> None:
        self._consumer.close()


class AutoCompleter(threading.Thread):
    """Plays the executor: every created execution ends in ``state`` right away."""

    def __init__(self, cluster: Cluster, state: State = State.SUCCESS) -> None:
        super().__init__(daemon=True)
        self.cluster, self.state = cluster, state
        self.stop_event = threading.Event()
        self.reader = CommandReader(cluster)

    def run(self) -> None:
        done = 0
        while not self.stop_event.is_set():
            commands = self.reader.poll(0.1)
            for command in commands[done:]:
                self.cluster.snapshot(command.execution_id, command.namespace, command.flow_id, self.state)
            done = len(commands)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(10)
        self.reader.close()
