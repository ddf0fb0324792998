"""Partition offsets asked of the broker, and asked again while it cannot answer yet.

Right after a topic is created, or while a partition's leader fails over, an offsets request
fails ("Unknown partition"); a restore that needs the end of a partition waits it out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from confluent_kafka import IsolationLevel, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from harrier.topics.exceptions import TopicAdminError

__all__ = ["partition_offsets"]

logger = logging.getLogger("harrier.topics")

RETRY_S = 0.5


def partition_offsets(
    admin: AdminClient, topic: str, partitions: Iterable[int], spec: OffsetSpec, timeout_s: float
) -> dict[int, int]:
    """Each partition's earliest or latest offset (latest is the high watermark, uncommitted
    records included). Asked again until ``timeout_s``, then ``TopicAdminError``."""
    partitions = sorted(partitions)
    if not partitions:
        return {}
    deadline = time.monotonic() + timeout_s
    while True:
        futures = admin.list_offsets(
            {TopicPartition(topic, p): spec for p in partitions},
            isolation_level=IsolationLevel.READ_UNCOMMITTED,
            request_timeout=max(1.0, deadline - time.monotonic()),
        )
        try:
            return {tp.partition: future.result().offset for tp, future in futures.items()}
        except KafkaException as exc:
            if time.monotonic() >= deadline:
                raise TopicAdminError(f"{topic} partitions {partitions}: offsets unavailable: {exc}") from exc
            logger.warning("%s partitions %s: offsets unavailable, asking again: %s", topic, partitions, exc)
            time.sleep(RETRY_S)
