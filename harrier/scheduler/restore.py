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
from collections.abc import Mapping, Sequence
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
    fenced: Sequence[Future[object]],
    timeout_s: float = 120.0,
) -> int:
    """Read each partition of ``topic`` from the beginning into its TriggerPartition, up to
    its end once every future of ``fenced`` is done (the first exception is raised).

    ``consumer`` reads committed records; it is left unassigned. Returns the number of records
    read.
    """
    if not partitions:
        return 0
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    deadline = time.monotonic() + timeout_s
    ends: dict[int, int] | None = None
    count = 0
    try:
        while True:
            if ends is None and all(future.done() for future in fenced):
                for future in fenced:
                    future.result()
                ends = _ends(consumer, topic, partitions, deadline)
            if ends is not None:
                for position in consumer.position([TopicPartition(topic, p) for p in ends]):
                    # The position skips compacted gaps and transaction markers, unlike offsets.
                    if position.offset >= ends[position.partition]:
                        del ends[position.partition]
                if not ends:
                    return count
            if time.monotonic() > deadline:
                raise TimeoutError(f"restoring {topic} partitions {sorted(ends or partitions)} took more than {timeout_s}s")
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


def _ends(consumer: Consumer, topic: str, partitions: Mapping[int, TriggerPartition], deadline: float) -> dict[int, int]:
    """The end offset of each non-empty partition, asked after the fence."""
    ends = {}
    for p in partitions:
        low, high = consumer.get_watermark_offsets(
            TopicPartition(topic, p), timeout=max(1.0, deadline - time.monotonic()), cached=False)
        if high > low:
            ends[p] = high
    return ends
