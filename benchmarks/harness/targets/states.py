"""Terminal states of Harrier's executions, read from `execution-states` in the harness process.

One confluent-kafka consumer in a thread joins a fresh group at the end of `execution-states`
(read_committed, since the executor writes it transactionally) and marks an execution ended
the first time one of its snapshots carries a terminal state. An execution is matched to its
harness key by its id (when the harness picks it), by the record key in a realtime trigger's
variables, or by the `bench_key` query parameter of the webhook call that started it; ends of
executions the current step did not send are ignored by the sample book.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime
from typing import Any

from confluent_kafka import OFFSET_END, Consumer, KafkaException, TopicPartition

from benchmarks.harness.exceptions import TargetUnavailable
from benchmarks.harness.samples import SampleBook
from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import decode_envelope

__all__ = ["KEY_PARAMETER", "StatesObserver", "candidate_keys", "server_duration", "terminal_state"]

# The query parameter the webhook sender tags each call with (trigger.parameters in the snapshot).
KEY_PARAMETER = "bench_key"
_TERMINAL = frozenset({"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"})


def terminal_state(data: dict[str, Any]) -> str | None:
    """The terminal state of an execution snapshot, or None while it runs."""
    state = data.get("state")
    current = state.get("current") if isinstance(state, dict) else state
    return current if current in _TERMINAL else None


def candidate_keys(execution_id: str, data: dict[str, Any]) -> tuple[str, ...]:
    """Harness keys a snapshot may belong to: its id (the harness picks ids), then the key its
    trigger carries (a realtime trigger's record key, a webhook call's `bench_key` parameter)."""
    trigger = data.get("trigger")
    if not isinstance(trigger, dict):
        return (execution_id,)
    parameters = trigger.get("parameters")
    variables = trigger.get("variables") if isinstance(trigger.get("variables"), dict) else trigger
    key = parameters.get(KEY_PARAMETER) if isinstance(parameters, dict) else variables.get("key")
    if isinstance(key, str) and key != execution_id:
        return (execution_id, key)
    return (execution_id,)


def server_duration(data: dict[str, Any]) -> float | None:
    """The execution's own duration as the server recorded it (end minus creation), in seconds."""
    try:
        return (datetime.fromisoformat(data["ended_at"]) - datetime.fromisoformat(data["created_at"])).total_seconds()
    except (KeyError, TypeError, ValueError):
        return None


class StatesObserver:
    """Reads `topic` (Harrier's execution-states) and records terminal states in the current book."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._group = f"bench-observer-{uuid.uuid4().hex[:8]}"
        self._book: SampleBook | None = None
        self._stop = threading.Event()
        self._assigned = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: str | None = None
        # Keys sent and not yet seen terminal, across steps (a timed-out execution may still run).
        self.running: set[str] = set()

    def start(self, timeout_s: float = 30.0) -> None:
        """Start the consumer thread once and wait until it owns its partitions at their end."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._observe, name="bench-states", daemon=True)
        self._thread.start()
        if not self._assigned.wait(timeout_s):
            raise TargetUnavailable(self.error or f"no assignment on {self._topic} after {timeout_s:g}s")

    def expect(self, key: str, book: SampleBook) -> None:
        """The key was (about to be) sent in `book`: record its end there."""
        self._book = book
        self.running.add(key)

    def close(self) -> None:
        """Stop the consumer thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

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
            consumer.subscribe([self._topic], on_assign=self._start_at_end)
            while not self._stop.is_set():
                message = consumer.poll(0.05)
                if message is None:
                    continue
                if message.error():
                    self.error = f"{self._topic}: {message.error()}"
                    continue
                self._on_snapshot(message.key(), message.value())
        except KafkaException as exc:
            self.error = f"{self._topic} consumer failed: {exc}"
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
        self.error = f"no end offset for {partition.topic}[{partition.partition}]; reading from its end"
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
            self.running.discard(key)
            if book.ended(key, state, at=ended_at, server_duration_s=server_duration(data), error=data.get("error")):
                return
