"""Fakes for worker unit tests: records and run contexts whose logs and metrics are lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest

from harrier.core.logbatches import Line
from harrier.core.messages import LogEntry, MetricEntry, WorkerTask
from harrier.core.registry import default_registry
from harrier.core.tasks.base import LogLevel
from harrier.storage import MemoryStorage
from harrier.worker.context import RunContext
from harrier.worker.logs import TaskLogger
from harrier.worker.metrics import TaskMetrics
from harrier.worker.preparation import Prepared, prepare


def make_record(task: dict[str, Any], context: dict[str, Any] | None = None, value: Any = None) -> WorkerTask:
    return WorkerTask(
        execution_id="exec-1",
        task_run_id="run-1",
        task_id=task.get("id", "t"),
        attempt=1,
        namespace="company.team",
        flow_id="flow",
        flow_revision=3,
        value=value,
        task=task,
        context=context or {},
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )


@dataclass
class FakeRun:
    """A run context with in-memory storage; log lines and metrics land in lists."""

    record: WorkerTask
    threshold: LogLevel | None = None
    storage: MemoryStorage = field(default_factory=MemoryStorage)
    logs: list[LogEntry] = field(default_factory=list)
    metrics: list[MetricEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.context = RunContext(
            self.record, TaskLogger(self.record, self.threshold, self._write), TaskMetrics(self.record, self.metrics.append), self.storage
        )

    def _write(self, line: Line) -> None:
        source, timestamp, level, message = line
        self.logs.append(LogEntry(
            execution_id=source.execution_id, namespace=source.namespace, flow_id=source.flow_id,
            task_id=source.task_id, task_run_id=source.task_run_id, attempt=source.attempt,
            level=level, timestamp=timestamp, message=message,
        ))

    def messages(self, level: LogLevel | None = None) -> list[str]:
        return [e.message for e in self.logs if level is None or e.level is level]


def prepared(task: dict[str, Any], context: dict[str, Any] | None = None, value: Any = None) -> tuple[Prepared, FakeRun]:
    record = make_record(task, context, value)
    return prepare(record, default_registry()), FakeRun(record)


@pytest.fixture(name="make_record")
def make_record_fixture() -> Any:
    """Build a WorkerTask around a task definition."""
    return make_record


@pytest.fixture(name="fake_run")
def fake_run_fixture() -> Any:
    """The FakeRun class."""
    return FakeRun


@pytest.fixture(name="prepared")
def prepared_fixture() -> Any:
    """Prepare a task definition and give a fake run context for it."""
    return prepared
