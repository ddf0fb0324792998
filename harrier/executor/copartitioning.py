"""The start-up check that partition p of every input topic can be joined in one task.

Both inputs are keyed by execution id with the same partitioner, so equal partition counts
put an execution's commands and results in the same partition number; the changelog must
match too, because task p restores from changelog partition p.
"""

from __future__ import annotations

import logging
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from harrier.executor.exceptions import CoPartitioningError
from harrier.executor.runtime import RuntimeConfig

__all__ = ["check_co_partitioning"]

logger = logging.getLogger("harrier.executor")

# Pause between metadata attempts while the broker cannot be reached.
RETRY_S = 1.0


def check_co_partitioning(
    admin: AdminClient, config: RuntimeConfig, timeout_s: float = 10.0
) -> int:
    """The shared partition count of the inputs and the changelog.

    Raises ``CoPartitioningError`` naming the topics and counts when a topic is missing or
    the counts differ. While the broker cannot be reached it waits: an outage is not a
    configuration error, and a stream process restarted during a broker restart must not
    stop the whole executor.
    """
    names = [config.topic(name) for name in (*config.inputs, config.changelog)]
    while True:
        try:
            metadata = admin.list_topics(timeout=timeout_s)
            break
        except KafkaException as exc:
            logger.warning("cannot read topic metadata yet, retrying: %s", exc)
            time.sleep(RETRY_S)
    counts: dict[str, int] = {}
    missing = []
    for name in names:
        topic = metadata.topics.get(name)
        if topic is None or topic.error is not None:
            missing.append(name)
        else:
            counts[name] = len(topic.partitions)
    if missing:
        raise CoPartitioningError(
            f"topic(s) {', '.join(missing)} do not exist; create them first "
            "(harrier.topics.ensure_topics)"
        )
    if len(set(counts.values())) != 1:
        listing = ", ".join(f"{name} has {count}" for name, count in counts.items())
        raise CoPartitioningError(
            f"co-partitioned topics differ in partition count ({listing}); the executor "
            "joins them by partition number and refuses to run"
        )
    return next(iter(counts.values()))
