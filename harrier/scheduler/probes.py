"""The scheduler's readiness and Prometheus metrics, read from the live `Scheduler` at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from harrier.scheduler.partition import PartitionStatus
from harrier.scheduler.runtime import Scheduler

__all__ = ["SchedulerCollector", "scheduler_readiness"]


def scheduler_readiness(scheduler: Scheduler) -> str | None:
    """None once it owns trigger partitions and every one is restored and running; else why not."""
    # A copy: the loop thread adds and drops partitions while this runs.
    partitions = list(scheduler.partitions.values())
    if not partitions:
        return "no trigger partitions assigned"
    restoring = sorted(part.partition for part in partitions if part.status is not PartitionStatus.RUNNING)
    if restoring:
        return f"restoring partitions {restoring}"
    return None


class SchedulerCollector(Collector):
    """Owned partitions by status, the executions the triggers created, the flow records read."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler

    def collect(self) -> Iterator[Metric]:
        partitions = list(self._scheduler.partitions.values())
        owned = GaugeMetricFamily("harrier_scheduler_partitions", "Trigger partitions owned, by status", labels=["status"])
        for status in PartitionStatus:
            owned.add_metric([status.value], sum(part.status is status for part in partitions))
        yield owned
        yield CounterMetricFamily(
            "harrier_scheduler_executions_created", "Executions created by triggers (committed)",
            value=self._scheduler.executions_created,
        )
        # A restart with a usable checkpoint reads only the flow records written since.
        yield CounterMetricFamily(
            "harrier_scheduler_flow_records_read", "Records read from flows (restores included)",
            value=self._scheduler.flow_records_read,
        )
