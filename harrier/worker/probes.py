"""The worker's readiness and Prometheus metrics, read from the live `Worker` at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from harrier.worker.runner import Worker, WorkerState

__all__ = ["WorkerCollector", "worker_readiness"]


def worker_readiness(worker: Worker) -> str | None:
    """None once the loop runs and holds `worker-tasks` partitions; else why not."""
    if worker.state is not WorkerState.RUNNING or not worker.ready.is_set():
        return f"worker is {worker.state.value}"
    if not worker.assigned:
        # A spare worker (more workers than partitions) stays unready: it takes no tasks.
        return "no worker-tasks partitions assigned"
    return None


class WorkerCollector(Collector):
    """`WorkerStats` and the lanes as metrics."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    def collect(self) -> Iterator[Metric]:
        worker, stats = self._worker, self._worker.stats
        yield CounterMetricFamily("harrier_worker_tasks_received", "Task records taken from worker-tasks", value=stats.received)
        finished = CounterMetricFamily(
            "harrier_worker_tasks_finished", "Task attempts that ended, by final state", labels=["state"]
        )
        for state, count in (("SUCCESS", stats.succeeded), ("FAILED", stats.failed), ("KILLED", stats.killed)):
            finished.add_metric([state], count)
        yield finished
        yield CounterMetricFamily("harrier_worker_tasks_timed_out", "Attempts failed by their timeout", value=stats.timed_out)
        yield CounterMetricFamily(
            "harrier_worker_tasks_released", "Attempts given back unfinished (shutdown, rebalance)", value=stats.released
        )
        yield CounterMetricFamily("harrier_worker_dead_lettered", "Records sent to dead-letters", value=stats.dead_lettered)
        yield CounterMetricFamily("harrier_worker_back_pressure_pauses", "Times the partitions were paused", value=worker.pauses)
        yield GaugeMetricFamily("harrier_worker_tasks_running", "Tasks running in a lane", value=worker.running)
        yield GaugeMetricFamily("harrier_worker_partitions_assigned", "worker-tasks partitions held", value=worker.assigned)
