"""A stream task: partition p of every input topic, its store, and its lifecycle.

::

    RESTORING ---> RUNNING ---> REVOKED
        |                          ^
        '--------------------------'

Input records are processed only in RUNNING; the store is written by the restorer only in
RESTORING; a REVOKED task is dropped and never used again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from confluent_kafka import Message, TopicPartition

from harrier.executor.exceptions import StoreError
from harrier.executor.processing import InputRecord, OutputRecord, Processor
from harrier.executor.sink import RecordSink
from harrier.executor.store import PartitionStore
from harrier.topics.serdes import decode_key

__all__ = ["StreamTask", "TaskState"]

logger = logging.getLogger("harrier.executor")


class TaskState(Enum):
    """Lifecycle of a stream task; ``TRANSITIONS`` lists the allowed moves."""

    RESTORING = "restoring"
    RUNNING = "running"
    REVOKED = "revoked"


TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    TaskState.RESTORING: frozenset({TaskState.RUNNING, TaskState.REVOKED}),
    TaskState.RUNNING: frozenset({TaskState.REVOKED}),
    TaskState.REVOKED: frozenset(),
}


class StreamTask:
    """Runs the processor over one partition number of the co-partitioned inputs."""

    __slots__ = ("_changelog", "_processor", "_sink", "inputs", "partition", "state", "store")

    def __init__(
        self,
        partition: int,
        inputs: list[TopicPartition],
        processor: Processor,
        sink: RecordSink,
        changelog_topic: str,
    ) -> None:
        self.partition = partition
        self.inputs = inputs
        self._processor = processor
        self._sink = sink
        self._changelog = changelog_topic
        self.state = TaskState.RESTORING
        self.store = PartitionStore(partition, processor.codec)

    def transition(self, target: TaskState) -> None:
        """Move to ``target``; ``StoreError`` if the lifecycle does not allow it."""
        if target not in TRANSITIONS[self.state]:
            raise StoreError(
                f"partition {self.partition}: cannot go from {self.state.value} "
                f"to {target.value}"
            )
        self.state = target

    def process(self, message: Message, source: str) -> None:
        """Decode, process and emit one input record; a failure is recorded by the processor
        in the record's own state, or the record is dead-lettered."""
        raw = message.value()
        try:
            key = decode_key(message.key())
            value = None if raw is None else self._processor.decode(source, raw)
        except Exception as exc:  # noqa: BLE001 - any decode failure is the record's fault
            self._sink.dead_letter(message, exc)
            return
        record = InputRecord(
            source, key, value, self.partition, message.offset(), message.timestamp()[1]
        )
        store = self.store
        store.begin()
        try:
            outputs = self._processor.process(record, store)
            self._sink.check(outputs)
        except Exception as exc:  # noqa: BLE001 - one record's failure must not stop the partition
            logger.warning(
                "partition %d offset %d of %s, key %s: %s: %s",
                self.partition, message.offset(), message.topic(), key, type(exc).__name__, exc,
            )
            failed = self._fail(key, value, exc)
            if failed is None:
                self._sink.dead_letter(message, exc)
                return
            outputs = failed
        store.complete()
        if outputs:
            self._sink.send_all(outputs)

    def punctuate(self, now: float) -> None:
        """Fire the timers due at ``now`` (epoch seconds)."""
        store = self.store
        due = store.timers.pop_due(now)
        if not due:
            return
        moment = datetime.fromtimestamp(now, UTC)
        for key in due:
            store.begin()
            try:
                outputs = self._processor.punctuate(key, moment, store)
                self._sink.check(outputs)
            except Exception as exc:  # noqa: BLE001 - one failing timer must not stop the others
                logger.warning("partition %d, timer of %s: %s: %s", self.partition, key, type(exc).__name__, exc)
                failed = self._fail(key, None, exc)
                if failed is None:
                    state = store.get(key)
                    encoded = None if state is None else self._processor.codec.encode(state)
                    self._sink.dead_timer(key, encoded, self._changelog, self.partition, exc)
                    continue
                outputs = failed
            store.complete()
            if outputs:
                self._sink.send_all(outputs)

    def _fail(self, key: str, value: Any, error: Exception) -> Sequence[OutputRecord] | None:
        """The processor's record of ``error`` in ``key``'s state (see ``processing.py``), or
        None with the record's changes rolled back."""
        try:
            outputs = self._processor.fail(key, value, error, self.store)
            if outputs is not None:
                self._sink.check(outputs)
        except Exception as again:  # noqa: BLE001 - a failure that cannot be recorded is dead-lettered
            # Never retried: the record goes to dead-letters, so it cannot fail in a loop.
            logger.error(
                "partition %d, key %s: recording %s failed too, dead-lettered: %s: %s",
                self.partition, key, type(error).__name__, type(again).__name__, again,
            )
            outputs = None
        if outputs is None:
            self.store.rollback()
        return outputs

    def write_changelog(self) -> None:
        """Produce every dirty state of the store to the changelog partition."""
        if not self.store.dirty:
            return
        changelog = self._sink.changelog
        for key, value in self.store.changelog():
            changelog(self._changelog, self.partition, key, value)
