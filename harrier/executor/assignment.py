"""The tasks a stream process owns, kept in step with the group's assignment.

The range assignor gives a member the same partition numbers of both input topics, so one
``StreamTask`` per partition number joins them. On assignment the tasks are restored
before ``assign`` returns (inside the rebalance callback), so every input record handed out
afterwards belongs to a RUNNING task. On revocation the caller commits first (see
``rebalance.py``), then the tasks are dropped with their stores.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from confluent_kafka import Message, TopicPartition

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
        inputs: dict[str, str],
        changelog_topic: str,
        processor: Processor,
        sink: RecordSink,
        restorer: ChangelogRestorer,
    ) -> None:
        # physical input topic -> logical name, handed to the processor as the record source
        self.sources = inputs
        self._changelog = changelog_topic
        self._processor = processor
        self._sink = sink
        self.tasks: dict[int, StreamTask] = {}
        self.restorer = restorer

    def running(self) -> list[StreamTask]:
        """The tasks that process input now (all of them: a task is restored before it is kept)."""
        return list(self.tasks.values())

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Create a task per assigned partition number and restore its store; all RUNNING on return."""
        by_number: dict[int, list[TopicPartition]] = {}
        for tp in partitions:
            by_number.setdefault(tp.partition, []).append(TopicPartition(tp.topic, tp.partition))
        logger.info("assigned partitions %s", sorted(by_number))
        created = []
        for number, inputs in sorted(by_number.items()):
            if len(inputs) != len(self.sources):
                # Only a non-range assignor or a topic change under us can split a partition.
                topics = sorted(tp.topic for tp in inputs)
                raise StoreError(
                    f"partition {number} assigned for {topics} only; the executor needs the "
                    "same partition of every input topic (partition.assignment.strategy=range)"
                )
            created.append(StreamTask(number, inputs, self._processor, self._sink, self._changelog))
        # The inputs are left alone: pausing, resuming or seeking a partition right after
        # assign() inside the rebalance callback can drop its start offset, and the partition
        # is then never fetched (librdkafka #2190). Restoring first makes that unnecessary.
        self.restorer.restore(created)
        self.tasks.update((task.partition, task) for task in created)

    def revoke(self, partitions: Iterable[TopicPartition]) -> None:
        """Drop the tasks of the revoked partitions (the caller committed their work)."""
        numbers = sorted({tp.partition for tp in partitions})
        for number in numbers:
            task = self.tasks.pop(number, None)
            if task is not None:
                task.transition(TaskState.REVOKED)
        logger.info("revoked partitions %s", numbers)

    def task_of(self, message: Message) -> StreamTask | None:
        """The task of an input record, or None for a partition this process does not own
        (a record fetched before a revocation)."""
        return self.tasks.get(message.partition())
