"""Changelog restore: replay ``execution-states`` partition p into task p's store.

One restore consumer per stream process, assigned (not subscribed) to the changelog
partitions of the tasks being restored, reading committed records only. The end of a
partition is its last stable offset, which is what a read_committed watermark query returns:
a zombie's open transaction cannot make the restore wait, and the records after it are not
ours to read (they abort or commit before the partition's input is processed).

The restorer never blocks the loop for long: ``step`` consumes one batch, so the stream
process keeps polling its group consumer (heartbeats, rebalances) while it restores. The
tasks' input records are skipped, and read again later, until their restore completes.
"""

from __future__ import annotations

import logging
import time
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from harrier.executor.tasks import StreamTask, TaskState

__all__ = ["ChangelogRestorer"]

logger = logging.getLogger("harrier.executor")

BATCH = 10_000
# A restore that takes longer than this logs where it is, and again every as long.
REPORT_EVERY_S = 10.0


class ChangelogRestorer:
    """Restores tasks' stores and sets each task RUNNING when its changelog is replayed."""

    def __init__(
        self,
        consumer: Consumer,
        changelog_topic: str,
        timeout_s: float = 30.0,
    ) -> None:
        self._consumer = consumer
        self._topic = changelog_topic
        self._timeout_s = timeout_s
        self._active: dict[int, StreamTask] = {}
        self._ends: dict[int, int] = {}
        self._started: dict[int, float] = {}
        self._reported: dict[int, float] = {}
        # Active partitions whose changelog is empty: finished by the next ``step``.
        self._empty: set[int] = set()

    @property
    def restoring(self) -> bool:
        """True while some task's changelog is being replayed."""
        return bool(self._active)

    def add(self, task: StreamTask) -> None:
        """Start restoring ``task`` (in RESTORING state) from the changelog's beginning."""
        partition = task.partition
        low, high = self._consumer.get_watermark_offsets(
            TopicPartition(self._topic, partition), timeout=self._timeout_s, cached=False
        )
        self._active[partition] = task
        self._ends[partition] = high
        self._started[partition] = time.monotonic()
        if high <= low:
            # Nothing to replay. The task still finishes in ``step``, from the loop: ``add``
            # runs inside the rebalance callback, where touching the inputs right after
            # assign() can leave them unfetched (librdkafka #2190).
            self._empty.add(partition)
            return
        start = TopicPartition(self._topic, partition, OFFSET_BEGINNING)
        self._consumer.incremental_assign([start])

    def remove(self, partition: int) -> None:
        """Stop restoring ``partition`` (its task was revoked)."""
        if self._active.pop(partition, None) is not None:
            del self._ends[partition], self._started[partition]
            self._reported.pop(partition, None)
            if partition in self._empty:
                self._empty.discard(partition)
            else:
                self._consumer.incremental_unassign([TopicPartition(self._topic, partition)])

    def step(self, timeout_s: float) -> None:
        """Apply one batch of changelog records; finish the tasks that reached their end."""
        for partition in sorted(self._empty):
            task = self._active.pop(partition)
            del self._ends[partition]
            self._finish(task, records=0, started=self._started.pop(partition))
        if self._empty:
            self._empty.clear()
            if not self._active:
                return
        for message in self._consumer.consume(BATCH, timeout_s):
            if message.error() is not None:
                logger.warning("changelog %s: %s", self._topic, message.error())
                continue
            task = self._active.get(message.partition())
            key = message.key()
            if task is None or key is None:
                continue
            try:
                task.store.restore(key.decode(), message.value())
            except Exception as exc:  # noqa: BLE001 - one bad snapshot must not block the rest
                logger.error(
                    "changelog %s[%d] offset %d: cannot decode state of %r, skipped: %s",
                    self._topic, message.partition(), message.offset(), key, exc,
                )
        positions = self._consumer.position(
            [TopicPartition(self._topic, partition) for partition in self._active]
        )
        now = time.monotonic()
        for position in positions:
            partition = position.partition
            if now - self._reported.get(partition, self._started[partition]) >= REPORT_EVERY_S:
                self._reported[partition] = now
                logger.warning(
                    "partition %d still restoring after %.0f s: changelog position %d of %d",
                    partition, now - self._started[partition], position.offset, self._ends[partition],
                )
            if position.offset >= self._ends[partition]:
                task = self._active.pop(partition)
                started = self._started.pop(partition)
                del self._ends[partition]
                self._consumer.incremental_unassign([TopicPartition(self._topic, partition)])
                self._finish(task, records=len(task.store), started=started)

    def _finish(self, task: StreamTask, records: int, started: float) -> None:
        self._reported.pop(task.partition, None)
        task.store.rebuild_timers()
        task.transition(TaskState.RUNNING)
        logger.info(
            "partition %d restored: %d states, %d timers in %.3f s",
            task.partition, records, len(task.store.timers), time.monotonic() - started,
        )
