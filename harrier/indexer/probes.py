"""The indexer's readiness and Prometheus metrics, read from its `IndexerStatus` at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from harrier.indexer.status import IndexerStatus

__all__ = ["IndexerCollector", "indexer_readiness"]


def indexer_readiness(status: IndexerStatus) -> str | None:
    """None once Elasticsearch answered, still answers, and partitions are assigned; else why not."""
    if not status.started:
        return "waiting for Elasticsearch to install the index templates"
    if not status.elasticsearch_up:
        return f"elasticsearch unavailable: {status.last_error}"
    if not status.partitions:
        return "no partitions assigned"
    return None


class IndexerCollector(Collector):
    """Counts, Elasticsearch reachability and lag as metrics."""

    def __init__(self, status: IndexerStatus) -> None:
        self._status = status

    def collect(self) -> Iterator[Metric]:
        status = self._status
        yield CounterMetricFamily("harrier_indexer_documents_indexed", "Documents Elasticsearch acknowledged", value=status.indexed)
        yield CounterMetricFamily("harrier_indexer_dead_lettered", "Records sent to dead-letters", value=status.dead_lettered)
        yield CounterMetricFamily("harrier_indexer_commits", "Batches whose offsets were committed", value=status.commits)
        yield GaugeMetricFamily(
            "harrier_indexer_elasticsearch_up", "1 while Elasticsearch accepts requests", value=int(status.elasticsearch_up)
        )
        yield GaugeMetricFamily("harrier_indexer_partitions_assigned", "Partitions held", value=status.partitions)
        lag = GaugeMetricFamily(
            "harrier_indexer_lag_records", "Records not yet indexed, by partition (measured every 10 s)",
            labels=["topic", "partition"],
        )
        for key, records in sorted(status.lag.items()):
            topic, _, partition = key.rpartition("/")
            lag.add_metric([topic, partition], records)
        yield lag
