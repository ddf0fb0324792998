"""Harrier worker: runs `worker-tasks` and sends `worker-results`, logs and metrics."""

from __future__ import annotations

from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure, TaskNotRunnable, WorkerError, WorkerStateError
from harrier.worker.main import run_worker
from harrier.worker.runner import Worker, WorkerState, WorkerStats

__all__ = [
    "RunContext",
    "TaskFailure",
    "TaskNotRunnable",
    "Worker",
    "WorkerError",
    "WorkerState",
    "WorkerStateError",
    "WorkerStats",
    "run_worker",
]
