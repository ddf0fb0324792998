"""The records components exchange through Kafka, as pure models (no Kafka import).

| model            | topic            | key            | written by            | read by           |
|------------------|------------------|----------------|-----------------------|-------------------|
| ExecutionCommand | executions       | execution id   | webserver, scheduler, executor (children) | executor |
| WorkerTask       | worker-tasks     | task run id    | executor              | worker            |
| WorkerResult     | worker-results   | execution id   | worker                | executor          |
| WorkerControl    | worker-controls  | task run id    | executor              | every worker      |
| LogBatch         | logs             | execution id   | worker, executor      | indexer, webserver|
| MetricEntry      | metrics          | execution id   | worker                | indexer           |
| FlowRecord       | flows            | namespace/id   | webserver             | executor, scheduler, indexer, webserver |

Field names are snake_case on the wire; the envelope (`harrier.topics.serdes`) adds the
schema version and the record kind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harrier.core.states import State
from harrier.core.tasks.base import LogLevel

__all__ = [
    "CreateExecution",
    "FlowRecord",
    "ExecutionCommand",
    "KillExecution",
    "LogBatch",
    "LogEntry",
    "MetricEntry",
    "ParentRef",
    "RestartExecution",
    "ResumeExecution",
    "SubflowEnded",
    "WorkerControl",
    "WorkerResult",
    "WorkerTask",
    "WorkingDirectoryRef",
]


class Message(BaseModel):
    """Base of every record model: unknown fields are errors, instances are not mutated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FlowRecord(Message):
    """One revision of a flow as deployed: its YAML source (a tombstone deletes the flow)."""

    namespace: str
    id: str
    revision: int = Field(ge=1)
    source: str

    @property
    def uid(self) -> str:
        """`namespace/id`, the record's key."""
        return f"{self.namespace}/{self.id}"


class ParentRef(Message):
    """Where a subflow's execution reports back to."""

    execution_id: str
    task_run_id: str
    namespace: str
    flow_id: str
    # The Subflow's deprecated `outputs`: templates the child renders when it ends.
    outputs: dict[str, Any] | None = None


class CreateExecution(Message):
    """Start an execution of `namespace/flow_id` (latest revision when `revision` is None)."""

    command: Literal["create"] = "create"
    execution_id: str
    namespace: str
    flow_id: str
    revision: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    trigger: dict[str, Any] | None = None
    parent: ParentRef | None = None
    created_at: datetime


class KillExecution(Message):
    """Kill an execution, its running worker tasks and its child executions."""

    command: Literal["kill"] = "kill"
    execution_id: str


class ResumeExecution(Message):
    """Resume a PAUSED execution (a Pause task waiting for a manual resume)."""

    command: Literal["resume"] = "resume"
    execution_id: str
    inputs: dict[str, Any] = Field(default_factory=dict)


class RestartExecution(Message):
    """Restart a FAILED or KILLED execution from its failed task runs."""

    command: Literal["restart"] = "restart"
    execution_id: str


class SubflowEnded(Message):
    """A child execution ended: delivered to the parent execution (keyed by the parent's id)."""

    command: Literal["subflow-ended"] = "subflow-ended"
    execution_id: str
    task_run_id: str
    child_execution_id: str
    state: State
    outputs: dict[str, Any] = Field(default_factory=dict)


ExecutionCommand = Annotated[
    CreateExecution | KillExecution | ResumeExecution | RestartExecution | SubflowEnded,
    Field(discriminator="command"),
]


class WorkingDirectoryRef(Message):
    """The WorkingDirectory a worker task runs in: its task run, the child before this one
    whose directory this one starts from (None: the first child, which copies the
    `namespace_files` selected and writes `input_files`),
    and the patterns of the files to store once the child is done."""

    task_id: str
    task_run_id: str
    previous: str | None = None
    input_files: dict[str, Any] | None = None
    namespace_files: dict[str, Any] | None = None
    output_files: list[str] | None = None


class WorkerTask(Message):
    """One attempt of a runnable task, with the task's definition and only the context it needs."""

    execution_id: str
    task_run_id: str
    task_id: str
    attempt: int
    namespace: str
    flow_id: str
    flow_revision: int
    value: Any = None
    task: dict[str, Any]
    context: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    working_directory: WorkingDirectoryRef | None = None


class WorkerResult(Message):
    """The outcome of one attempt; the executor drops results for attempts that already ended."""

    execution_id: str
    task_run_id: str
    attempt: int
    state: State
    outputs: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    started_at: datetime
    ended_at: datetime
    # A child of a WorkingDirectory: the directory's output files stored after it (name -> URI).
    directory_files: dict[str, str] | None = None


class WorkerControl(Message):
    """A request to every worker: stop this task run if you are running it."""

    action: Literal["kill"] = "kill"
    execution_id: str
    task_run_id: str


class _LogOrigin(Message):
    """Whose log lines: an execution, and one attempt of one of its task runs (None: the
    execution's own lines)."""

    execution_id: str
    namespace: str
    flow_id: str
    task_id: str | None = None
    task_run_id: str | None = None
    attempt: int | None = None


class LogEntry(_LogOrigin):
    """One log line of a task run (or of the execution itself when task fields are None)."""

    level: LogLevel
    timestamp: datetime
    message: str


class LogBatch(_LogOrigin):
    """Log lines of one task run attempt (or of the execution itself), in emission order.

    The ``logs`` record. The lines are three parallel lists rather than a list of objects, so
    the indexer ships a record as one Elasticsearch document without visiting its lines.
    """

    timestamps: list[datetime]
    levels: list[LogLevel]
    messages: list[str]

    @model_validator(mode="after")
    def _aligned(self) -> LogBatch:
        if not self.timestamps:
            raise ValueError("a log batch holds at least one line")
        if not len(self.timestamps) == len(self.levels) == len(self.messages):
            raise ValueError(
                f"timestamps, levels and messages differ in length "
                f"({len(self.timestamps)}, {len(self.levels)}, {len(self.messages)})"
            )
        return self

    def entries(self) -> list[LogEntry]:
        """The lines one by one."""
        return [
            LogEntry(
                execution_id=self.execution_id, namespace=self.namespace, flow_id=self.flow_id,
                task_id=self.task_id, task_run_id=self.task_run_id, attempt=self.attempt,
                level=level, timestamp=timestamp, message=message,
            )
            for timestamp, level, message in zip(self.timestamps, self.levels, self.messages, strict=True)
        ]


class MetricEntry(Message):
    """One metric a task emitted: a counter increment or a timer duration in seconds."""

    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    task_run_id: str
    name: str
    kind: Literal["counter", "timer"]
    value: float
    tags: dict[str, str] = Field(default_factory=dict)
    timestamp: datetime
