"""What the indexer reports about itself: Elasticsearch reachability, counts and lag."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, TopicPartition

__all__ = ["IndexerStatus", "measure_lag"]

logger = logging.getLogger("harrier.indexer")


@dataclass(slots=True)
class IndexerStatus:
    """A live view of the indexer, updated by its loop (read it from any thread)."""

    # Set once the index templates are installed and the consumer subscribed, i.e. once
    # Elasticsearch has answered; the probe's readiness waits for it.
    started: bool = False
    elasticsearch_up: bool = True
    down_since: float | None = None
    last_error: str | None = None
    indexed: int = 0
    dead_lettered: int = 0
    commits: int = 0
    # Partitions currently assigned, kept from the rebalance callbacks.
    partitions: int = 0
    # "topic/partition" -> records consumed by nobody yet or not yet acknowledged by Elasticsearch.
    lag: dict[str, int] = field(default_factory=dict)

    @property
    def total_lag(self) -> int:
        """Records behind over all assigned partitions."""
        return sum(self.lag.values())

    def mark_down(self, error: str) -> None:
        """Elasticsearch failed a request."""
        if self.elasticsearch_up:
            logger.warning("elasticsearch unavailable, holding the batch and backing off: %s", error)
            self.down_since = time.monotonic()
        self.elasticsearch_up = False
        self.last_error = error

    def mark_up(self) -> None:
        """Elasticsearch accepted a request."""
        if not self.elasticsearch_up and self.down_since is not None:
            logger.warning(
                "elasticsearch is back after %.1f s, lag %d records",
                time.monotonic() - self.down_since, self.total_lag,
            )
        self.elasticsearch_up = True
        self.down_since = None


def measure_lag(consumer: Consumer, timeout_s: float = 5.0) -> dict[str, int]:
    """Records between the committed offset and the end of each assigned partition."""
    assignment = consumer.assignment()
    if not assignment:
        return {}
    lag = {}
    try:
        for tp in consumer.committed(assignment, timeout=timeout_s):
            low, high = consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=timeout_s, cached=False
            )
            start = tp.offset if tp.offset >= 0 else low
            lag[f"{tp.topic}/{tp.partition}"] = max(high - start, 0)
    except KafkaException as exc:
        logger.warning("cannot measure the lag: %s", exc)
        return {}
    return lag
