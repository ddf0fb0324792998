"""The stream loop: poll -> process -> punctuate -> maybe commit, nothing else.

Like Kafka Streams' ``StreamThread.runOnce``, each iteration runs named phases. The loop owns
no business logic: the processor decides what records mean, the tasks apply them, the
checkpoint commits them.

The poll waits at most ``poll-ms``, less when a commit or a timer is due sooner. Stores are
restored inside the poll (the rebalance callback), before their records are handed out. A
record processed right after an idle period commits at once, because the interval since the
last commit has long passed.
"""

from __future__ import annotations

import logging
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer

from harrier.executor.assignment import TaskManager
from harrier.executor.checkpoint import Checkpoint
from harrier.executor.sink import RecordSink
from harrier.topics.exceptions import TransactionAbortable
from harrier.topics.transactions import TransactionalProducer

__all__ = ["StreamLoop"]

logger = logging.getLogger("harrier.executor")

BATCH = 1000


class StreamLoop:
    """Runs one stream process's consume-process-produce cycle until ``stop``."""

    def __init__(
        self,
        consumer: Consumer,
        producer: TransactionalProducer | Producer,
        tasks: TaskManager,
        sink: RecordSink,
        poll_ms: int,
        commit_interval_ms: int,
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._tasks = tasks
        self._sink = sink
        self._poll_s = poll_ms / 1000
        self._interval_s = commit_interval_ms / 1000
        self._running = False
        # Set when the producer is unusable (fenced): nothing may be committed any more.
        self._halted = False
        self.checkpoint = self._new_checkpoint()

    def run(self) -> None:
        """Loop until ``stop``; then commit the last checkpoint."""
        self._running = True
        while self._running:
            messages = self._poll()
            if messages:
                self._process(messages)
            self._punctuate()
            self._maybe_commit()
        self.commit()

    def stop(self) -> None:
        """Ask the loop to finish its iteration and return (safe from a signal handler)."""
        self._running = False

    def halt(self) -> None:
        """Stop for good without committing or aborting (the producer was fenced)."""
        self._running = False
        self._halted = True

    def commit(self) -> None:
        """Commit the current checkpoint if it holds anything, and start the next one.

        An abortable transaction error aborts the transaction and raises on: the stream
        process exits, and its restart resumes from the last commit with fresh clients and
        stores. Rewinding in place meant pausing and seeking inputs that a rebalance could
        take away in between, and librdkafka then left them unfetched after a broker restart.
        """
        if self._halted or self.checkpoint.empty:
            return
        try:
            self.checkpoint.commit()
        except TransactionAbortable:
            self.abort()
            raise
        self.checkpoint = self._new_checkpoint()

    def abort(self) -> None:
        """Abort the current checkpoint's transaction and start the next one.

        The stores still hold the aborted interval's changes: the caller drops them (the
        lost tasks) or the process (after a failed commit).
        """
        if self._halted:
            return
        self.checkpoint.abort()
        self.checkpoint = self._new_checkpoint()

    # -- phases --------------------------------------------------------------------------

    def _poll(self) -> list[Message]:
        first = self._consumer.poll(self._poll_timeout())
        if first is None:
            return []
        return [first, *self._consumer.consume(BATCH - 1, 0)]

    def _process(self, messages: list[Message]) -> None:
        sources = self._tasks.sources
        task_of = self._tasks.task_of
        processed = 0
        for message in messages:
            if message.error() is not None:
                _check(message.error())
                continue
            task = task_of(message)
            if task is not None:
                task.process(message, sources[message.topic()])
                processed += 1
        self.checkpoint.records += processed

    def _punctuate(self) -> None:
        now = time.time()
        for task in self._tasks.running():
            due = task.store.timers.next_due()
            if due is not None and due <= now:
                task.punctuate(now)

    def _maybe_commit(self) -> None:
        if time.monotonic() - self.checkpoint.started >= self._interval_s:
            self.commit()

    # -- helpers -------------------------------------------------------------------------

    def _poll_timeout(self) -> float:
        timeout = self._poll_s
        if not self.checkpoint.empty:
            until_commit = self.checkpoint.started + self._interval_s - time.monotonic()
            timeout = min(timeout, until_commit)
        now = time.time()
        for task in self._tasks.running():
            due = task.store.timers.next_due()
            if due is not None:
                timeout = min(timeout, due - now)
        return max(timeout, 0.0)

    def _new_checkpoint(self) -> Checkpoint:
        return Checkpoint(self._producer, self._consumer, self._tasks, self._sink)


def _check(error: KafkaError) -> None:
    # Consumer errors are informational unless librdkafka says the client is done.
    if error.fatal():
        raise KafkaException(error)
    logger.warning("consumer: %s", error.str())
