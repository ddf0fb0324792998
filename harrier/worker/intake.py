"""The worker's side of `worker-tasks`: group membership, commits, pausing, rebalances.

It is the single owner of the consumer and of the commit watermarks: the runner tells it
which records started and which finished (their result acknowledged), and it commits only
past the finished prefix of each partition.

Back-pressure: up to `max_waiting` fetched records may wait for a free slot. When that many
wait the runner stops fetching, and if it stays full for `pause_after_s` the partitions are
paused (resumed when half the backlog is gone). Pausing is the last resort because
librdkafka drops prefetched records on pause and fetches again only about a second after
resume, so a pause per freed slot would cap throughput at a few hundred tasks a second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from harrier.config.settings import Settings
from harrier.topics.clients import create_consumer
from harrier.worker.exceptions import WorkerStateError
from harrier.worker.watermark import Watermarks

__all__ = ["CONSUMER_DEFAULTS", "Intake", "PartitionKey"]

logger = logging.getLogger("harrier.worker")

PartitionKey = tuple[str, int]

# Below the user's kafka.* settings. Redelivery after a crash waits for the dead member's
# session to expire, so keep it short; cooperative rebalancing leaves unmoved partitions'
# running tasks alone when a worker joins or leaves.
CONSUMER_DEFAULTS = {
    "session.timeout.ms": 10_000,
    "heartbeat.interval.ms": 1_000,
    "partition.assignment.strategy": "cooperative-sticky",
    "fetch.error.backoff.ms": 10,
}
COMMIT_INTERVAL_S = 0.2


class Intake:
    """The `worker-tasks` consumer of one worker."""

    def __init__(
        self,
        settings: Settings,
        *,
        topic: str,
        group_id: str,
        client_id: str,
        on_gone: Callable[[set[PartitionKey]], None],
        before_revoke: Callable[[], None],
        max_waiting: int,
        pause_after_s: float,
    ) -> None:
        configured = {**settings.kafka.properties, **settings.kafka.consumer}
        overrides = {k: v for k, v in CONSUMER_DEFAULTS.items() if k not in configured}
        self._consumer: Consumer = create_consumer(settings, group_id, client_id=client_id, overrides=overrides)
        self.topic = topic
        self.marks = Watermarks()
        self.max_waiting = max_waiting
        self.pause_after_s = pause_after_s
        self.paused = False
        self.pauses = 0
        self._on_gone = on_gone
        self._before_revoke = before_revoke
        self._assignment_changed = False
        # Kept from the rebalance callbacks so other threads (the readiness probe) can read
        # it without calling into the consumer.
        self.assigned: set[PartitionKey] = set()
        self._full_since: float | None = None
        self._last_commit = 0.0

    def check_topics(self, required: list[str]) -> None:
        """Raise `WorkerStateError` naming the topics that do not exist."""
        names = self._consumer.list_topics(timeout=10).topics
        missing = [name for name in required if name not in names]
        if missing:
            raise WorkerStateError(f"missing topics {', '.join(missing)}: create them first (topics admin `ensure topics`)")

    def subscribe(self) -> None:
        """Join the group."""
        self._consumer.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost)

    def poll(self, wait_s: float) -> Message | None:
        """One record (or None); also serves rebalances, and keeps new partitions paused if paused."""
        message = self._consumer.poll(wait_s)
        if self._assignment_changed:
            self._assignment_changed = False
            if self.paused:
                self.pause(True, force=True)
        return message

    # -- commits ---------------------------------------------------------------------------

    def commit(self, force: bool = False) -> None:
        """Commit every partition's finished prefix (at most every COMMIT_INTERVAL_S unless forced)."""
        now = time.monotonic()
        if not force and now - self._last_commit < COMMIT_INTERVAL_S:
            return
        self._last_commit = now
        due = self.marks.to_commit()
        if not due:
            return
        # Periodic commits are asynchronous: a synchronous one sent while the broker restarts
        # can wait forever (seen in the broker-restart chaos run). One that fails leaves the
        # group's offset behind until the next progress or the forced commit on revocation;
        # at worst a rebalance redelivers a few attempts, whose second results the executor
        # drops.
        try:
            self._consumer.commit(
                offsets=[TopicPartition(t, p, o) for (t, p), o in due.items()], asynchronous=not force
            )
        except KafkaException as exc:
            logger.warning("offset commit failed (retried next interval): %s", exc)
            return
        self.marks.committed(due)

    # -- back-pressure ---------------------------------------------------------------------

    def full(self, waiting: int) -> bool:
        """True when `waiting` records already wait for a slot: fetch nothing more."""
        return not self.paused and waiting >= self.max_waiting

    def apply_back_pressure(self, waiting: int) -> None:
        """Pause when the backlog stayed full for `pause_after_s`; resume at half of it."""
        now = time.monotonic()
        if waiting < self.max_waiting:
            self._full_since = None
        elif self._full_since is None:
            self._full_since = now
        if self.paused and waiting <= self.max_waiting // 2:
            self.pause(False)
        elif not self.paused and self._full_since is not None and now - self._full_since >= self.pause_after_s:
            self.pause(True)

    def pause(self, pause: bool, force: bool = False) -> None:
        """Pause (or resume) every assigned partition."""
        if pause == self.paused and not force:
            return
        assignment = self._consumer.assignment()
        if assignment:
            (self._consumer.pause if pause else self._consumer.resume)(assignment)
        if pause and not self.paused:
            self.pauses += 1
        self.paused = pause

    def close(self) -> None:
        """Leave the group (its partitions move to the other workers at once)."""
        self._consumer.close()

    # -- rebalance callbacks (run inside poll) ---------------------------------------------

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        logger.info("assigned %s", [p.partition for p in partitions])
        self._assignment_changed = True
        self.assigned |= {(p.topic, p.partition) for p in partitions}

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        logger.info("revoked %s", [p.partition for p in partitions])
        self._before_revoke()
        self.commit(force=True)
        self._forget(partitions)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        logger.warning("lost %s", [p.partition for p in partitions])
        self._forget(partitions)

    def _forget(self, partitions: list[TopicPartition]) -> None:
        gone = {(p.topic, p.partition) for p in partitions}
        self.assigned -= gone
        self._on_gone(gone)
        for topic, partition in gone:
            self.marks.forget(topic, partition)
