"""Harrier under test: CreateExecution commands on `executions`, terminal states from `execution-states`.

The terminal states are read by `StatesObserver` (benchmarks/harness/targets/states.py); an
execution is matched to its harness key by its id (the harness picks it), or, for executions a
trigger created, by the record key in the trigger's variables.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import NewTopic

from benchmarks.harness.exceptions import TargetUnavailable
from benchmarks.harness.samples import SampleBook
from benchmarks.harness.targets.states import StatesObserver, candidate_keys, terminal_state
from benchmarks.scenarios.catalog import Scenario
from harrier.config.settings import Settings
from harrier.core.messages import CreateExecution
from harrier.topics.admin import ensure_topics
from harrier.topics.clients import create_admin
from harrier.topics.serdes import ModelSerde, encode_data
from harrier.topics.specs import build_specs, topic_name

__all__ = ["COMMAND_KIND", "FLOW_KIND", "HarrierTarget", "candidate_keys", "terminal_state"]

# Envelope kinds of the records this target writes, as the executor reads them: a command's
# envelope type is its `command` name (harrier/executor/processor.py), a flow record's is
# `flow` (harrier/executor/flows.py).
COMMAND_KIND = "create"
FLOW_KIND = "flow"
_COMMANDS: ModelSerde[CreateExecution] = ModelSerde(COMMAND_KIND, CreateExecution)


class HarrierTarget:
    """Drives a running Harrier (executor + worker, or `harrier server standalone`) through Kafka."""

    name = "harrier"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._bootstrap = settings.kafka.bootstrap_servers
        self._producer = Producer({"bootstrap.servers": self._bootstrap, "linger.ms": 1, "acks": "all"})
        self._states = StatesObserver(self._bootstrap, self._topic("execution-states"))
        self._topics_ready = False
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
        self._states.start()

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
        self._states.expect(key, book)
        book.sent(key, lag_s)
        self._produce(topic, key, value)

    async def settle(self) -> None:
        """Flush what the producer still holds."""
        self._producer.flush(30)

    async def quiesce(self, timeout_s: float) -> int:
        """Wait until the observer has seen every sent execution end."""
        deadline = time.monotonic() + timeout_s
        while self._states.running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return len(self._states.running)

    async def close(self) -> None:
        """Stop the observer thread."""
        self._states.close()

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
