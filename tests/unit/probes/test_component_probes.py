"""Each component's readiness rule and metric names, on fakes of the live objects."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from harrier.executor.probes import ExecutorCollector, executor_readiness
from harrier.indexer.probes import IndexerCollector, indexer_readiness
from harrier.indexer.status import IndexerStatus
from harrier.scheduler.partition import PartitionStatus
from harrier.scheduler.probes import SchedulerCollector, scheduler_readiness
from harrier.worker.probes import WorkerCollector, worker_readiness
from harrier.worker.runner import WorkerState, WorkerStats


def _exposition(collector: Any) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


@dataclass
class _Worker:
    state: WorkerState = WorkerState.RUNNING
    assigned: int = 2
    running: int = 3
    pauses: int = 0
    stats: WorkerStats = field(default_factory=WorkerStats)
    ready: threading.Event = field(default_factory=threading.Event)


def test_worker_is_ready_when_running_with_partitions() -> None:
    worker = _Worker(state=WorkerState.CREATED)
    assert worker_readiness(worker) == "worker is CREATED"  # type: ignore[arg-type]
    worker.state = WorkerState.RUNNING
    worker.ready.set()
    worker.assigned = 0
    assert worker_readiness(worker) == "no worker-tasks partitions assigned"  # type: ignore[arg-type]
    worker.assigned = 1
    assert worker_readiness(worker) is None  # type: ignore[arg-type]


def test_worker_metrics_come_from_its_stats() -> None:
    worker = _Worker(stats=WorkerStats(received=5, succeeded=3, failed=1, killed=1))
    text = _exposition(WorkerCollector(worker))  # type: ignore[arg-type]
    assert 'harrier_worker_tasks_finished_total{state="SUCCESS"} 3.0' in text
    assert "harrier_worker_tasks_received_total 5.0" in text
    assert "harrier_worker_tasks_running 3.0" in text


def test_indexer_is_ready_when_elasticsearch_answered_and_partitions_are_assigned() -> None:
    status = IndexerStatus()
    assert indexer_readiness(status) == "waiting for Elasticsearch to install the index templates"
    status.started = True
    assert indexer_readiness(status) == "no partitions assigned"
    status.partitions = 4
    assert indexer_readiness(status) is None
    status.mark_down("connection refused")
    assert indexer_readiness(status) == "elasticsearch unavailable: connection refused"


def test_indexer_metrics_include_counts_and_lag_by_partition() -> None:
    status = IndexerStatus(indexed=12, lag={"p.logs/0": 3, "p.logs/1": 0})
    text = _exposition(IndexerCollector(status))
    assert "harrier_indexer_documents_indexed_total 12.0" in text
    assert 'harrier_indexer_lag_records{partition="0",topic="p.logs"} 3.0' in text


def _scheduler(*statuses: PartitionStatus) -> SimpleNamespace:
    partitions = {p: SimpleNamespace(partition=p, status=s) for p, s in enumerate(statuses)}
    return SimpleNamespace(partitions=partitions, executions_created=9, flow_records_read=4)


def test_scheduler_is_ready_when_its_partitions_run() -> None:
    assert scheduler_readiness(_scheduler()) == "no trigger partitions assigned"  # type: ignore[arg-type]
    restoring = _scheduler(PartitionStatus.RUNNING, PartitionStatus.RESTORING)
    assert scheduler_readiness(restoring) == "restoring partitions [1]"  # type: ignore[arg-type]
    assert scheduler_readiness(_scheduler(PartitionStatus.RUNNING)) is None  # type: ignore[arg-type]


def test_scheduler_metrics_count_partitions_by_status() -> None:
    text = _exposition(SchedulerCollector(_scheduler(PartitionStatus.RUNNING, PartitionStatus.RESTORING)))  # type: ignore[arg-type]
    assert 'harrier_scheduler_partitions{status="running"} 1.0' in text
    assert "harrier_scheduler_executions_created_total 9.0" in text
    assert "harrier_scheduler_flow_records_read_total 4.0" in text


@dataclass
class _Supervisor:
    size: int
    alive: int
    restarts: int = 0

    def pids(self) -> dict[int, int]:
        return {i: 1000 + i for i in range(self.alive)}


def test_executor_is_ready_when_every_stream_process_is_alive() -> None:
    supervisors = {"executions": _Supervisor(2, 1), "admissions": _Supervisor(1, 1)}
    assert executor_readiness(supervisors) == "executions: 1 of 2 stream processes alive"  # type: ignore[arg-type]
    supervisors["executions"].alive = 2
    assert executor_readiness(supervisors) is None  # type: ignore[arg-type]


def test_executor_metrics_by_role() -> None:
    text = _exposition(ExecutorCollector({"executions": _Supervisor(2, 2, restarts=1)}))  # type: ignore[dict-item]
    assert 'harrier_executor_stream_processes_alive{role="executions"} 2.0' in text
    assert 'harrier_executor_stream_process_restarts_total{role="executions"} 1.0' in text
