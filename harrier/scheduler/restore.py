"""Restoring partitions of the ``triggers`` topic into ``TriggerPartition``s.

Runs after the partition's producer was initialised: ``init_transactions`` fenced the
previous owner and completed (committed or aborted) its open transaction, so reading the
partition to its end (read_committed, up to the last stable offset) sees every state the
previous owner will ever have written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from harrier.scheduler.partition import TriggerPartition
from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import decode_key

__all__ = ["restore_partitions"]

logger = logging.getLogger("harrier.scheduler")


def restore_partitions(
    consumer: Consumer, topic: str, partitions: Mapping[int, TriggerPartition], timeout_s: float = 120.0
) -> int:
    """Read each partition of ``topic`` from the beginning to its end into its TriggerPartition.

    ``consumer`` must have ``enable.partition.eof`` set; it is left unassigned. Returns the
    number of records read.
    """
    if not partitions:
        return 0
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    pending = set(partitions)
    count = 0
    deadline = time.monotonic() + timeout_s
    try:
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"restoring {topic} partitions {sorted(pending)} took more than {timeout_s}s")
            for message in consumer.consume(num_messages=10_000, timeout=0.05):
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        pending.discard(message.partition())
                        continue
                    raise RuntimeError(f"restoring {topic}: {error.str()}")
                try:
                    partitions[message.partition()].restore(decode_key(message.key()), message.value())
                except DecodeError as exc:
                    # Not ours to fix here: skipping keeps the scheduler up; the record stays on the topic.
                    logger.error("%s[%d]@%d skipped while restoring: %s", topic, message.partition(), message.offset(), exc.reason)
                count += 1
    finally:
        consumer.unassign()
    return count
