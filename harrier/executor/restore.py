"""Changelog restore: replay ``execution-states`` partition p into task p's store.

A fresh restore consumer per restore, assigned (not subscribed) to the changelog
partitions of the tasks being restored, reading committed records only, up to the
partition's high watermark at the start of the restore (not its last stable offset). The
previous owner commits its last transaction in its revocation callback, and the broker
writes that transaction's markers after the commit returns: a restore that stopped at the
last stable offset could end before the markers and miss the transaction, while the input
offsets committed with it (fetched "stable") moved past its records, so a worker result
then met no execution and was dropped (a chaos run caught one). Reading committed records to
the high watermark waits for every transaction below it to commit or abort; a zombie's open
one is aborted by the broker after ``transaction.timeout.ms`` (10 s).

``restore`` runs inside the group consumer's ``on_assign`` and returns when every new task
is RUNNING, so no input record of a task is ever handed out before its store is whole.
Restoring alongside the loop instead meant skipping those records and seeking back to them,
a seek librdkafka does not promise to honour right after a rebalance. The range assignor is
eager, so a rebalance stops every task of the process anyway; the group consumer's
heartbeats run on librdkafka's own thread while the callback blocks, and
``max.poll.interval.ms`` (5 minutes) bounds a restore far above the measured rate (100,000
states in about 1.2 s).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from harrier.executor.exceptions import StoreError
from harrier.executor.tasks import StreamTask, TaskState
from harrier.topics.exceptions import TopicAdminError
from harrier.topics.offsets import partition_offsets

__all__ = ["ChangelogRestorer"]

logger = logging.getLogger("harrier.executor")

BATCH = 10_000
# A restore that takes longer than this logs where it is, and again every as long.
REPORT_EVERY_S = 10.0


class ChangelogRestorer:
    """Restores tasks' stores and sets each task RUNNING when its changelog is replayed."""

    def __init__(
        self,
        consumers: Callable[[], Consumer],
        changelog_topic: str,
        admin: AdminClient,
        timeout_s: float = 30.0,
        stall_s: float = 30.0,
    ) -> None:
        # A consumer kept from the last restore can hold the leaders of before a broker
        # failed: a chaos run saw it fetch nothing for 60 s while the admin client already
        # knew the new leaders. A new one reads fresh metadata.
        self._consumers = consumers
        self._topic = changelog_topic
        # Asks for the offsets: the consumer's own watermark query returns the last stable
        # offset (it reads committed records), and fails while it has no metadata yet.
        self._admin = admin
        self._timeout_s = timeout_s
        # A restore that reads nothing for this long gives up (the broker is gone): the
        # stream process crashes and its supervisor starts it again. Above the 20 s a
        # zombie's open transaction can hold the changelog (its timeout, then the broker's
        # abort sweep).
        self._stall_s = stall_s

    def restore(self, tasks: Sequence[StreamTask]) -> None:
        """Replay the changelog partition of every task (RESTORING) to its end; blocks until
        all of them are RUNNING. Raises ``StoreError`` when the changelog stops moving."""
        started = time.monotonic()
        by_partition = {task.partition: task for task in tasks}
        partitions = sorted(by_partition)
        lows = self._offsets(partitions, OffsetSpec.earliest())
        highs = self._offsets(partitions, OffsetSpec.latest())
        ends = {p: highs[p] for p in partitions if highs[p] > lows[p]}
        if ends:
            consumer = self._consumers()
            try:
                consumer.assign([TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in sorted(ends)])
                self._replay(consumer, by_partition, ends, started)
            finally:
                consumer.close()
        for task in tasks:
            task.store.rebuild_timers()
            task.transition(TaskState.RUNNING)
            logger.info(
                "partition %d restored: %d states, %d timers in %.3f s",
                task.partition, len(task.store), len(task.store.timers), time.monotonic() - started,
            )

    def _offsets(self, partitions: list[int], spec: OffsetSpec) -> dict[int, int]:
        """Each partition's earliest or latest offset (the high watermark, uncommitted
        records included); asked again while a broker fails over."""
        try:
            return partition_offsets(self._admin, self._topic, partitions, spec, self._timeout_s)
        except TopicAdminError as exc:
            raise StoreError(f"changelog {self._topic}: {exc}") from exc

    def _replay(self, consumer: Consumer, tasks: dict[int, StreamTask], ends: dict[int, int], started: float) -> None:
        pending = dict(ends)
        moved = reported = started
        while pending:
            # consume() waits for a full batch or the timeout: keep the tail short.
            messages = consumer.consume(BATCH, 0.05)
            for message in messages:
                if message.error() is not None:
                    logger.warning("changelog %s: %s", self._topic, message.error())
                    continue
                key = message.key()
                if key is None:
                    continue
                try:
                    tasks[message.partition()].store.restore(key.decode(), message.value())
                except Exception as exc:  # noqa: BLE001 - one bad snapshot must not block the rest
                    logger.error(
                        "changelog %s[%d] offset %d: cannot decode state of %r, skipped: %s",
                        self._topic, message.partition(), message.offset(), key, exc,
                    )
            now = time.monotonic()
            if messages:
                moved = now
            positions = consumer.position([TopicPartition(self._topic, p) for p in pending])
            for position in positions:
                # The position skips compacted gaps and transaction markers, unlike offsets.
                if position.offset >= pending[position.partition]:
                    del pending[position.partition]
            if not pending:
                return
            if now - moved >= self._stall_s:
                raise StoreError(
                    f"changelog {self._topic} partitions {sorted(pending)}: nothing read for "
                    f"{self._stall_s:.0f} s (positions {_offsets(positions)} of {dict(sorted(pending.items()))})"
                )
            if now - reported >= REPORT_EVERY_S:
                reported = now
                logger.warning(
                    "still restoring after %.0f s: changelog positions %s of %s",
                    now - started, _offsets(positions), dict(sorted(pending.items())),
                )


def _offsets(positions: list[TopicPartition]) -> dict[int, int]:
    return {tp.partition: tp.offset for tp in positions}
