"""Harrier under test: CreateExecution commands on `executions`, terminal states from `execution-states`.

The observer is one confluent-kafka consumer in a thread that joins a fresh group at the end
of `execution-states` (read_committed, since the executor writes it transactionally) and
marks an execution ended the first time one of its snapshots carries a terminal state. An
execution is matched to its harness key by its id (the harness picks it), or, for executions
a trigger created, by the record key in the trigger's variables; ends of executions the
current step did not send are ignored by the sample book.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from confluent_kafka import OFFSET_END, Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import NewTopic

from benchmarks.harness.exceptions import TargetUnavailable
from benchmarks.harness.samples import SampleBook
from benchmarks.scenarios.catalog import Scenario
from harrier.config.settings import Settings
from harrier.core.messages import CreateExecution
from harrier.topics.admin import ensure_topics
from harrier.topics.clients import create_admin
from harrier.topics.specs import build_specs, topic_name
from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import ModelSerde, decode_envelope, encode_data

__all__ = ["COMMAND_KIND", "FLOW_KIND", "HarrierTarget", "candidate_keys", "terminal_state"]

# Envelope kinds of the records this target writes, as the executor reads them: a command's
# envelope type is its `command` name (harrier/executor/processor.py), a flow record's is
# `flow` (harrier/executor/flows.py).
COMMAND_KIND = "create"
FLOW_KIND = "flow"
_TERMINAL = frozenset({"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"})
_COMMANDS: ModelSerde[CreateExecution] = ModelSerde(COMMAND_KIND, CreateExecution)


def terminal_state(data: dict[str, Any]) -> str | None:
    """The terminal state of an execution snapshot, or None while it runs."""
    state = data.get("state")
    current = state.get("current") if isinstance(state, dict) else state
    return current if current in _TERMINAL else None


def candidate_keys(execution_id: str, data: dict[str, Any]) -> tuple[str, ...]:
    """Harness keys a snapshot may belong to: its id (the harness picks ids), then its trigger record's key."""
    trigger = data.get("trigger")
    if isinstance(trigger, dict):
        variables = trigger.get("variables") if isinstance(trigger.get("variables"), dict) else trigger
        key = variables.get("key")
        if isinstance(key, str) and key != execution_id:
            return (execution_id, key)
    return (execution_id,)


def _server_duration(data: dict[str, Any]) -> float | None:
    try:
        return (datetime.fromisoformat(data["ended_at"]) - datetime.fromisoformat(data["created_at"])).total_seconds()
    except (KeyError, TypeError, ValueError):
        return None


class HarrierTarget:
    """Drives a running Harrier (executor + worker, or `harrier server standalone`) through Kafka."""

    name = "harrier"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._bootstrap = settings.kafka.bootstrap_servers
        self._group = f"bench-observer-{uuid.uuid4().hex[:8]}"
        self._producer = Producer({"bootstrap.servers": self._bootstrap, "linger.ms": 1, "acks": "all"})
        self._book: SampleBook | None = None
        self._stop = threading.Event()
        self._assigned = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: str | None = None
        self._topics_ready = False
        # Keys sent and not yet seen terminal, across steps (a timed-out execution may still run).
        self._running: set[str] = set()
        self._delivery_error: str | None = None

    async def prepare(self, scenario: Scenario) -> None:
        """Create missing topics, publish the flow on `flows`, start the observer on `execution-states`."""
        self._ensure_topics(scenario)
        source = scenario.flow_source(self.name, self._bootstrap)
        # Scenario flows never change within a run, so every deploy is revision 1.
        data = {"namespace": scenario.namespace, "id": scenario.flow_id, "revision": 1, "source": source}
        self._delivery_error = None
        self._producer.produce(self._topic("flows"), key=f"{scenario.namespace}/{scenario.flow_id}",
                               value=encode_data(FLOW_KIND, data), on_delivery=self._delivered)
        if self._producer.flush(10) > 0 or self._delivery_error:
            raise TargetUnavailable(f"kafka at {self._bootstrap} did not take the flow of {scenario.name}: "
                                    f"{self._delivery_error or 'flush timed out'}")
        if scenario.injection == "kafka-record":
            self._wait_for_trigger_consumer(scenario.record_topic(self.name))
        if self._thread is None:
            self._thread = threading.Thread(target=self._observe, name="bench-states", daemon=True)
            self._thread.start()
            if not self._assigned.wait(30):
                raise TargetUnavailable(self._error or f"no assignment on {self._topic('execution-states')} after 30s")

    async def submit(self, scenario: Scenario, key: str, book: SampleBook, lag_s: float) -> None:
        """Produce one CreateExecution (or one trigger record) tagged with `key`."""
        now = datetime.now(timezone.utc)
        if scenario.injection == "kafka-record":
            topic, value = scenario.record_topic(self.name), scenario.record_value(key)
        else:
            topic = self._topic("executions")
            value = _COMMANDS.encode(CreateExecution(
                execution_id=key, namespace=scenario.namespace, flow_id=scenario.flow_id,
                inputs=dict(scenario.inputs), labels={"bench_sent_at": now.isoformat()}, created_at=now,
            ))
        self._book = book
        self._running.add(key)
        book.sent(key, lag_s)
        self._produce(topic, key, value)

    async def settle(self) -> None:
        """Flush what the producer still holds."""
        self._producer.flush(30)

    async def quiesce(self, timeout_s: float) -> int:
        """Wait until the observer has seen every sent execution end."""
        deadline = time.monotonic() + timeout_s
        while self._running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return len(self._running)

    async def close(self) -> None:
        """Stop the observer thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _ensure_topics(self, scenario: Scenario) -> None:
        admin = create_admin(self._settings)
        try:
            if not self._topics_ready:
                ensure_topics(admin, build_specs(self._settings).values())
                self._topics_ready = True
            if scenario.injection == "kafka-record":
                topic = scenario.record_topic(self.name)
                if topic not in admin.list_topics(timeout=10).topics:
                    for future in admin.create_topics([NewTopic(topic, 4, 1)]).values():
                        future.result()
        except KafkaException as exc:
            raise TargetUnavailable(f"kafka at {self._bootstrap}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - Harrier's own topic set-up failing makes it unavailable
            raise TargetUnavailable(f"harrier topic set-up failed: {type(exc).__name__}: {exc}") from None

    def _wait_for_trigger_consumer(self, topic: str, timeout_s: float = 60.0) -> None:
        """Wait until the realtime trigger's consumer (its group is the topic's name, as the
        scenario flow sets it) owns the topic's partitions: it starts at the latest offset, as
        Kestra's does, so records sent before it joined would start no execution."""
        admin = create_admin(self._settings)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                group = admin.describe_consumer_groups([topic])[topic].result(timeout=10)
            except KafkaException:
                group = None
            if group is not None and any(
                tp.topic == topic for member in group.members for tp in member.assignment.topic_partitions
            ):
                return
            time.sleep(0.2)
        raise TargetUnavailable(f"the realtime trigger's consumer never joined group {topic!r} within {timeout_s:g}s")

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._delivery_error = str(error)

    def _produce(self, topic: str, key: str, value: bytes) -> None:
        while True:
            try:
                self._producer.produce(topic, key=key, value=value)
                break
            except BufferError:
                self._producer.poll(0.01)
        self._producer.poll(0)

    def _topic(self, logical: str) -> str:
        return topic_name(self._settings, logical)

    def _observe(self) -> None:
        consumer = Consumer({
            "bootstrap.servers": self._bootstrap,
            "group.id": self._group,
            "auto.offset.reset": "latest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "fetch.wait.max.ms": 10,
        })
        try:
            consumer.subscribe([self._topic("execution-states")], on_assign=self._start_at_end)
            while not self._stop.is_set():
                message = consumer.poll(0.05)
                if message is None:
                    continue
                if message.error():
                    self._error = f"execution-states: {message.error()}"
                    continue
                self._on_snapshot(message.key(), message.value())
        except KafkaException as exc:
            self._error = f"execution-states consumer failed: {exc}"
        finally:
            consumer.close()

    def _start_at_end(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Pin each partition at its end now, before any send: "latest" would be resolved later,
        # after the first snapshots may already have been written, and they would be skipped.
        for partition in partitions:
            partition.offset = self._end_offset(consumer, partition)
        consumer.assign(partitions)
        self._assigned.set()

    def _end_offset(self, consumer: Consumer, partition: TopicPartition) -> int:
        # A topic created a moment ago may have no leader yet: ask again for a while.
        for _ in range(50):
            try:
                return int(consumer.get_watermark_offsets(partition, timeout=5, cached=False)[1])
            except KafkaException:
                time.sleep(0.2)
        self._error = f"no end offset for {partition.topic}[{partition.partition}]; reading from its end"
        return OFFSET_END

    def _on_snapshot(self, raw_key: bytes | None, raw_value: bytes | None) -> None:
        book = self._book
        if book is None or raw_key is None or raw_value is None:
            return
        ended_at = time.monotonic()
        try:
            data = decode_envelope(raw_value).data
        except DecodeError:
            return
        if not isinstance(data, dict) or (state := terminal_state(data)) is None:
            return
        for key in candidate_keys(raw_key.decode(), data):
            self._running.discard(key)
            if book.ended(key, state, at=ended_at, server_duration_s=_server_duration(data), error=data.get("error")):
                return
