"""The tasks a stream process owns, kept in step with the group's assignment.

The range assignor gives a member the same partition numbers of both input topics, so one
``StreamTask`` per partition number joins them. On assignment a task starts RESTORING; its
input records are skipped and read again until the store is whole. On revocation the
caller commits first (see ``rebalance.py``), then the tasks are dropped with their stores.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from confluent_kafka import Consumer, Message, TopicPartition

from harrier.executor.exceptions import StoreError
from harrier.executor.processing import Processor
from harrier.executor.restore import ChangelogRestorer
from harrier.executor.sink import RecordSink
from harrier.executor.tasks import StreamTask, TaskState

__all__ = ["TaskManager"]

logger = logging.getLogger("harrier.executor")


class TaskManager:
    """Creates, restores, routes to and drops the stream tasks of one process."""

    def __init__(
        self,
        consumer: Consumer,
        inputs: dict[str, str],
        changelog_topic: str,
        processor: Processor,
        sink: RecordSink,
        restorer: ChangelogRestorer,
    ) -> None:
        self._consumer = consumer
        # physical input topic -> logical name, handed to the processor as the record source
        self.sources = inputs
        self._changelog = changelog_topic
        self._processor = processor
        self._sink = sink
        self.tasks: dict[int, StreamTask] = {}
        self.restorer = restorer

    @property
    def restoring(self) -> bool:
        """True while some task waits for its store."""
        return self.restorer.restoring

    def running(self) -> list[StreamTask]:
        """The tasks that process input now."""
        return [task for task in self.tasks.values() if task.state is TaskState.RUNNING]

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Create a RESTORING task per assigned partition number and start its restore."""
        by_number: dict[int, list[TopicPartition]] = {}
        for tp in partitions:
            by_number.setdefault(tp.partition, []).append(TopicPartition(tp.topic, tp.partition))
        logger.info("assigned partitions %s", sorted(by_number))
        for number, inputs in sorted(by_number.items()):
            if len(inputs) != len(self.sources):
                # Only a non-range assignor or a topic change under us can split a partition.
                topics = sorted(tp.topic for tp in inputs)
                raise StoreError(
                    f"partition {number} assigned for {topics} only; the executor needs the "
                    "same partition of every input topic (partition.assignment.strategy=range)"
                )
            task = StreamTask(number, inputs, self._processor, self._sink, self._changelog)
            self.tasks[number] = task
            # No pause here: pausing (or resuming) a partition right after assign() inside the
            # rebalance callback can drop its start offset, and the partition is then never
            # fetched (librdkafka #2190). Records that arrive while the task restores are
            # skipped and read again (``unread``).
            self.restorer.add(task)

    def revoke(self, partitions: Iterable[TopicPartition]) -> None:
        """Drop the tasks of the revoked partitions (the caller committed their work)."""
        numbers = sorted({tp.partition for tp in partitions})
        for number in numbers:
            task = self.tasks.pop(number, None)
            if task is None:
                continue
            self.restorer.remove(number)
            task.transition(TaskState.REVOKED)
        logger.info("revoked partitions %s", numbers)

    def task_of(self, message: Message) -> StreamTask | None:
        """The task of an input record if it is RUNNING, else None."""
        task = self.tasks.get(message.partition())
        return task if task is not None and task.state is TaskState.RUNNING else None

    def unread(self, first_skipped: dict[tuple[str, int], int]) -> None:
        """Seek back to the first record handed out for a task that does not run (yet), so
        it is read again once the task runs."""
        for (topic, partition), offset in first_skipped.items():
            if partition in self.tasks:
                self._consumer.seek(TopicPartition(topic, partition, offset))
