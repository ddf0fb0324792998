"""Helpers for the runtime's integration tests: topics, a running executor, readers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from confluent_kafka import OFFSET_BEGINNING, Message, TopicPartition
from runtime_counter import CounterProcessor

from harrier.config import Settings
from harrier.executor import RuntimeConfig, Supervisor
from harrier.topics import (
    build_specs,
    create_admin,
    create_consumer,
    create_producer,
    ensure_topics,
)

TOPICS = ("executions", "worker-results", "execution-states", "worker-tasks", "dead-letters")


def make_config(
    bootstrap: str, unique: str, partitions: int = 4, **executor: Any
) -> RuntimeConfig:
    """A runtime config whose topics and group are unique to the test."""
    settings = Settings.model_validate(
        {
            "kafka": {
                "bootstrap-servers": bootstrap,
                # The broker's minimum: a killed member's partitions move after 6 s.
                "consumer": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000},
            },
            "topics": {"prefix": f"rt-{unique}.", "partitions": partitions},
            "executor": {"stream-threads": 1, **executor},
        }
    )
    return RuntimeConfig(settings, instance_id="test")


def create_topics(config: RuntimeConfig) -> None:
    """Create the topics the runtime and the counter processor use."""
    specs = build_specs(config.settings)
    ensure_topics(create_admin(config.settings), [specs[name] for name in TOPICS])


@contextmanager
def running(config: RuntimeConfig, processes: int = 1) -> Iterator[Supervisor]:
    """A supervisor running ``processes`` counter stream processes in the background."""
    supervisor = Supervisor(config, CounterProcessor, processes=processes, restart_delay_s=0.2)
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    try:
        yield supervisor
    finally:
        supervisor.request_stop()
        thread.join(60)


class Sender:
    """Produces JSON records to an input topic (same partitioner as every Harrier client)."""

    def __init__(self, config: RuntimeConfig) -> None:
        self._config = config
        self._producer = create_producer(config.settings)

    def send(self, key: str, value: dict[str, Any] | bytes, topic: str = "executions") -> None:
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        self._producer.produce(self._config.topic(topic), key=key.encode(), value=raw)

    def flush(self) -> None:
        self._producer.flush(10)


class Reader:
    """A reader (read_committed unless told) of every partition of a topic, from the start."""

    def __init__(
        self, config: RuntimeConfig, logical_topic: str, isolation: str = "read_committed"
    ) -> None:
        settings = config.settings
        topic = config.topic(logical_topic)
        overrides = {"isolation.level": isolation}
        self._consumer = create_consumer(settings, None, "test-reader", overrides)
        metadata = self._consumer.list_topics(topic, timeout=10)
        partitions = metadata.topics[topic].partitions
        self._consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        self.messages: list[Message] = []

    def read_until(
        self, done: Callable[[list[Message]], bool], timeout_s: float = 20.0
    ) -> list[Message]:
        """Read until ``done(messages)`` holds; AssertionError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not done(self.messages):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out with {len(self.messages)} records read")
            self.messages += [m for m in self._consumer.consume(1000, 0.1) if m.error() is None]
        return self.messages

    def read_for(self, seconds: float) -> list[Message]:
        """Read whatever arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.messages += [m for m in self._consumer.consume(1000, 0.1) if m.error() is None]
        return self.messages

    def payloads(self) -> list[dict[str, Any]]:
        """The JSON values read so far."""
        return [orjson.loads(m.value()) for m in self.messages]

    def close(self) -> None:
        self._consumer.close()


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``condition`` every 50 ms; AssertionError naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
