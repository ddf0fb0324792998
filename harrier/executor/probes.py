"""The executor's readiness and Prometheus metrics, read from its supervisors at scrape time.

The probe server runs in the supervising process; the stream processes are its children, so
what it can vouch for is that each of them is alive (their partitions and restores are their
own business, visible in the consumer group).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from harrier.executor.supervisor import Supervisor

__all__ = ["ExecutorCollector", "executor_readiness"]


def executor_readiness(supervisors: Mapping[str, Supervisor]) -> str | None:
    """None when every stream process of every supervisor is alive; else which are missing."""
    missing = [
        f"{role}: {alive} of {supervisor.size} stream processes alive"
        for role, supervisor in supervisors.items()
        if (alive := len(supervisor.pids())) < supervisor.size
    ]
    return "; ".join(missing) or None


class ExecutorCollector(Collector):
    """Stream processes alive, wanted and restarted, by role (executions, admissions)."""

    def __init__(self, supervisors: Mapping[str, Supervisor]) -> None:
        self._supervisors = supervisors

    def collect(self) -> Iterator[Metric]:
        alive = GaugeMetricFamily("harrier_executor_stream_processes_alive", "Stream processes alive", labels=["role"])
        wanted = GaugeMetricFamily("harrier_executor_stream_processes_wanted", "Stream processes configured", labels=["role"])
        restarts = CounterMetricFamily(
            "harrier_executor_stream_process_restarts", "Stream processes restarted after they exited", labels=["role"]
        )
        for role, supervisor in self._supervisors.items():
            alive.add_metric([role], len(supervisor.pids()))
            wanted.add_metric([role], supervisor.size)
            restarts.add_metric([role], supervisor.restarts)
        yield alive
        yield wanted
        yield restarts
