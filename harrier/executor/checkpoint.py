"""A checkpoint: one commit interval's worth of work, committed atomically.

The loop creates a checkpoint after every commit; in exactly-once mode creating it begins
the producer's next transaction, so every output, dead letter and changelog record produced
until ``commit`` belongs to it. ``commit`` runs the numbered steps below; the code is marked
with the same numbers.

1. Write every dirty store entry to the changelog (partition p of ``execution-states`` for
   task p), once per key however often it changed in the interval.
2. Collect the next offset of every input partition of the running tasks.
3. exactly-once: add the offsets to the transaction with the consumer's group metadata; the
   group coordinator rejects them if this member was fenced out of the group (a zombie).
4. exactly-once: commit the transaction (outputs, changelog and offsets become visible
   together). at-least-once: flush the producer, then commit the offsets.
5. Mark the stores clean.

A failing step 3 or 4 raises ``TransactionAbortable`` (the caller aborts and restarts) or
``ProducerFenced`` (the caller stops).
"""

from __future__ import annotations

import time

from confluent_kafka import Consumer, Producer, TopicPartition

from harrier.executor.assignment import TaskManager
from harrier.executor.sink import RecordSink
from harrier.executor.stallguard import stall_guard
from harrier.topics.transactions import TransactionalProducer

__all__ = ["Checkpoint"]

# Beyond the producer's own timeouts, before a blocked transaction call counts as hung.
_STALL_GRACE_S = 10.0


class Checkpoint:
    """The work since the last commit; ``commit`` once, or ``abort``."""

    __slots__ = ("_consumer", "_producer", "_sink", "_tasks", "records", "started")

    def __init__(
        self,
        producer: TransactionalProducer | Producer,
        consumer: Consumer,
        tasks: TaskManager,
        sink: RecordSink,
    ) -> None:
        self._producer = producer
        self._consumer = consumer
        self._tasks = tasks
        self._sink = sink
        self.started = time.monotonic()
        self.records = 0
        sink.pending = 0
        if isinstance(producer, TransactionalProducer):
            producer.begin()

    @property
    def empty(self) -> bool:
        """True when nothing was consumed, produced or changed since the last commit."""
        return (
            self.records == 0
            and self._sink.pending == 0
            and not any(task.store.dirty for task in self._tasks.running())
        )

    def commit(self) -> None:
        """Commit the interval's outputs, changelog records and input offsets together."""
        running = self._tasks.running()
        # 1. the changelog of every dirty store
        for task in running:
            task.write_changelog()
        # 2. the input offsets
        offsets = [
            tp
            for tp in self._consumer.position([tp for task in running for tp in task.inputs])
            if tp.offset >= 0
        ]
        producer = self._producer
        if isinstance(producer, TransactionalProducer):
            # Each call retries for up to timeout_s; past both, librdkafka is hung (stallguard.py).
            with stall_guard(2 * producer.timeout_s + _STALL_GRACE_S, "the checkpoint's transaction"):
                # 3. offsets into the transaction, fenced by the group generation
                if offsets:
                    producer.send_offsets(offsets, self._consumer.consumer_group_metadata())
                # 4. commit
                producer.commit()
        else:
            # 4. at-least-once: outputs durable first, then the offsets
            producer.flush()
            if offsets:
                self._consumer.commit(offsets=_plain(offsets), asynchronous=False)
        # 5. stores clean
        for task in running:
            task.store.mark_clean()

    def abort(self) -> None:
        """Abort the interval's transaction (exactly-once); the caller drops the stores."""
        if isinstance(self._producer, TransactionalProducer):
            self._producer.abort()


def _plain(offsets: list[TopicPartition]) -> list[TopicPartition]:
    # position() returns leader epochs; commit only topic, partition and offset.
    return [TopicPartition(tp.topic, tp.partition, tp.offset) for tp in offsets]
