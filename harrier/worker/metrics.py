"""Task metrics: counters and timers a task emits, shipped to the `metrics` topic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from harrier.core.messages import MetricEntry, WorkerTask

__all__ = ["TaskMetrics"]

MetricWriter = Callable[[MetricEntry], None]


class TaskMetrics:
    """The metrics of one task run, tagged with its coordinates."""

    __slots__ = ("_record", "_write")

    def __init__(self, record: WorkerTask, write: MetricWriter) -> None:
        self._record = record
        self._write = write

    def counter(self, name: str, value: float = 1, tags: dict[str, str] | None = None) -> None:
        """Add `value` to counter `name`."""
        self._emit(name, "counter", value, tags)

    def timer(self, name: str, seconds: float, tags: dict[str, str] | None = None) -> None:
        """Record a duration of `seconds` under timer `name`."""
        self._emit(name, "timer", seconds, tags)

    def _emit(self, name: str, kind: str, value: float, tags: dict[str, str] | None) -> None:
        record = self._record
        self._write(
            MetricEntry(
                execution_id=record.execution_id,
                namespace=record.namespace,
                flow_id=record.flow_id,
                task_id=record.task_id,
                task_run_id=record.task_run_id,
                name=name,
                kind=kind,  # type: ignore[arg-type]
                value=float(value),
                tags=tags or {},
                timestamp=datetime.now(timezone.utc),
            )
        )
