"""Restoring partitions of the ``triggers`` topic into ``TriggerPartition``s.

Only partition p's transactional producer writes to partition p of ``triggers``. Its
``init_transactions`` fences the previous owner and completes (commits or aborts) that
owner's open transaction, markers included, before it returns. So the restore may start
reading committed states while the producers initialise, but it ends only at the end each
partition has once its producer is ready: every state the previous owner will ever have
written is below it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import Future

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from harrier.scheduler.partition import TriggerPartition
from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import decode_key

__all__ = ["restore_partitions"]

logger = logging.getLogger("harrier.scheduler")


def restore_partitions(
    consumer: Consumer,
    topic: str,
    partitions: Mapping[int, TriggerPartition],
    ends: Mapping[int, Future[int | None]],
    timeout_s: float = 120.0,
) -> int:
    """Read each partition of ``topic`` from the beginning into its TriggerPartition, up to
    its end offset, which ``ends`` gives once the partition's producer has fenced the previous
    owner (None: the partition is empty; a future's exception is raised).

    ``consumer`` reads committed records; it is left unassigned. Returns the number of records
    read.
    """
    if not partitions:
        return 0
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    deadline = time.monotonic() + timeout_s
    pending = set(partitions)
    count = 0
    try:
        while True:
            known = [TopicPartition(topic, p) for p in pending if ends[p].done()]
            for position in consumer.position(known) if known else ():
                # The position skips compacted gaps and transaction markers, unlike offsets.
                end = ends[position.partition].result()
                if end is None or position.offset >= end:
                    pending.discard(position.partition)
            if not pending:
                return count
            if time.monotonic() > deadline:
                raise TimeoutError(f"restoring {topic} partitions {sorted(pending)} took more than {timeout_s}s")
            for message in consumer.consume(num_messages=10_000, timeout=0.05):
                if message.error() is not None:
                    raise RuntimeError(f"restoring {topic}: {message.error().str()}")
                try:
                    partitions[message.partition()].restore(decode_key(message.key()), message.value())
                except DecodeError as exc:
                    # Not ours to fix here: skipping keeps the scheduler up; the record stays on the topic.
                    logger.error("%s[%d]@%d skipped while restoring: %s", topic, message.partition(), message.offset(), exc.reason)
                count += 1
    finally:
        consumer.unassign()
