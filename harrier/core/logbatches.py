"""Log lines grouped into ``LogBatch`` records: one per task run attempt, capped in size.

A line is ``(source, timestamp, level, message)`` where the source carries the identity
fields (a ``WorkerTask`` in the worker, a ``LogEntry`` in the executor). Batches keep the
order lines were written in, and the first line of a source decides where its batch sits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from harrier.core.messages import LogBatch, LogEntry
from harrier.core.tasks.base import LogLevel

__all__ = ["MAX_BATCH_BYTES", "MAX_BATCH_LINES", "MAX_LINE_CHARS", "Line", "LogSource", "batch_entries", "batch_lines", "split_batch"]

# Well under the `logs` topic's 1 MiB record limit, and small enough that one search hit
# (a batch is one Elasticsearch document) stays cheap to return.
MAX_BATCH_LINES = 2_000
MAX_BATCH_BYTES = 256 * 1024
# A longer line is cut, saying so at its end: a record must fit the topic (1 MiB), and a line a
# quarter of that size is already no longer read by anyone but a program, which has the task's
# output files for that.
MAX_LINE_CHARS = 128 * 1024
# What a line costs besides its message: its timestamp, its level and the JSON around them.
_LINE_OVERHEAD = 48


class LogSource(Protocol):
    """Whose lines: the identity fields every line of one batch shares."""

    @property
    def execution_id(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def flow_id(self) -> str: ...
    @property
    def task_id(self) -> str | None: ...
    @property
    def task_run_id(self) -> str | None: ...
    @property
    def attempt(self) -> int | None: ...


Line = tuple[LogSource, datetime, LogLevel, str]


def batch_lines(lines: Iterable[Line]) -> list[LogBatch]:
    """The batches of ``lines``: grouped by execution, task run and attempt, in order."""
    open_batches: dict[tuple[str, str | None, int | None], _Builder] = {}
    done: list[_Builder] = []
    last: LogSource | None = None
    builder: _Builder | None = None
    for source, timestamp, level, message in lines:
        # Lines come in runs of one task's; the key is looked up only when the source changes.
        if source is not last:
            last = source
            key = (source.execution_id, source.task_run_id, source.attempt)
            builder = open_batches.get(key)
        if len(message) > MAX_LINE_CHARS:
            message = f"{message[:MAX_LINE_CHARS]}... [line cut at {MAX_LINE_CHARS:,} of {len(message):,} characters]"
        size = len(message) + _LINE_OVERHEAD
        if builder is None or len(builder.messages) >= MAX_BATCH_LINES or (
            builder.size and builder.size + size > MAX_BATCH_BYTES  # a fresh batch takes any line
        ):
            builder = open_batches[(source.execution_id, source.task_run_id, source.attempt)] = _Builder(source)
            done.append(builder)
        builder.timestamps.append(timestamp)
        builder.levels.append(level)
        builder.messages.append(message)
        builder.size += size
    return [builder.build() for builder in done]


def batch_entries(entries: Iterable[LogEntry]) -> list[LogBatch]:
    """The batches of individual ``LogEntry`` lines (the executor's)."""
    return batch_lines((entry, entry.timestamp, entry.level, entry.message) for entry in entries)


def split_batch(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The lines of a ``LogBatch`` in its JSON form, each shaped as a ``LogEntry``'s JSON."""
    common = {name: data.get(name) for name in _IDENTITY}
    return [
        {**common, "level": level, "timestamp": timestamp, "message": message}
        for timestamp, level, message in zip(data["timestamps"], data["levels"], data["messages"], strict=True)
    ]


_IDENTITY = ("execution_id", "namespace", "flow_id", "task_id", "task_run_id", "attempt")


class _Builder:
    __slots__ = ("levels", "messages", "size", "source", "timestamps")

    def __init__(self, source: LogSource) -> None:
        self.source = source
        self.timestamps: list[datetime] = []
        self.levels: list[LogLevel] = []
        self.messages: list[str] = []
        self.size = 0

    def build(self) -> LogBatch:
        source = self.source
        # The lines were validated where they were made; rebuilding thousands of them here
        # would cost more than everything else the worker does per line.
        return LogBatch.model_construct(
            execution_id=source.execution_id, namespace=source.namespace, flow_id=source.flow_id,
            task_id=source.task_id, task_run_id=source.task_run_id, attempt=source.attempt,
            timestamps=self.timestamps, levels=self.levels, messages=self.messages,
        )
