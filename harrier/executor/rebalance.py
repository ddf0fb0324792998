"""Rebalance callbacks: commit before giving partitions away, restore before using new ones.

They run inside ``consumer.poll``, on the loop's thread, between two loop phases, so they
can use the loop's checkpoint directly.

- revoked: commit the current checkpoint (in-flight work of every task, since one
  transaction spans them all), then drop the revoked tasks and their stores.
- lost (the member was evicted, e.g. stalled past the session timeout): another member may
  already own the partitions, so nothing is committed: the lost tasks are dropped and the
  transaction aborted. The range assignor is eager, so every task is lost at once and no
  store is left holding the aborted interval.
- assigned: create the tasks and start their restore (their inputs are left alone).
"""

from __future__ import annotations

import logging

from confluent_kafka import Consumer, TopicPartition

from harrier.executor.assignment import TaskManager
from harrier.executor.loop import StreamLoop

__all__ = ["RebalanceListener"]

logger = logging.getLogger("harrier.executor")


class RebalanceListener:
    """The ``on_assign`` / ``on_revoke`` / ``on_lost`` callbacks of the group consumer."""

    def __init__(self, tasks: TaskManager, loop: StreamLoop) -> None:
        self._tasks = tasks
        self._loop = loop

    def on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """New partitions: restore first, process after."""
        consumer.assign(partitions)
        self._tasks.assign(partitions)

    def on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Partitions leave: commit their in-flight work, then drop them."""
        self._loop.commit()
        self._tasks.revoke(partitions)

    def on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Partitions were taken away: their work since the last commit is not ours to
        commit."""
        logger.warning("lost partitions %s", sorted({tp.partition for tp in partitions}))
        self._tasks.revoke(partitions)
        self._loop.abort()
