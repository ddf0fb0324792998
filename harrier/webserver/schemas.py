"""Response bodies as the OpenAPI document describes them: Kestra's (``Kestra*``, rendered by
``harrier.webserver.kestra``) and those of Harrier's own routes (graph, namespaces, validation,
stats, errors)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from harrier.core.exceptions import Problem

__all__ = [
    "ErrorBody",
    "GraphBody",
    "KestraCommandAccepted",
    "KestraExecution",
    "KestraExecutions",
    "KestraFlow",
    "KestraFlows",
    "KestraLogEntry",
    "KestraLogs",
    "NamespaceBody",
    "ProblemBody",
    "StatsBody",
    "ValidationBody",
    "problem_body",
]


class ProblemBody(BaseModel):
    """One problem of a flow document: where (line, column, path) and what."""

    line: int
    column: int
    path: str
    message: str


class ErrorBody(BaseModel):
    """Every error: a one-line ``message``; invalid flows and inputs add their ``problems``."""

    model_config = ConfigDict(extra="allow")

    message: str
    problems: list[ProblemBody] | list[str] | None = None


class GraphBody(BaseModel):
    """A flow's tasks as a graph (``harrier.core.topology.flow_graph``).

    ``nodes``: ``{id, type, parent, branch, flowable}``, plus ``onResume`` (inputs) on a Pause
    that declares them; ``parent`` is the enclosing flowable's id or null, ``branch`` the list
    the task is in (tasks, then, else, errors, finally, defaults, or a Switch's case key).
    ``edges``: ``{from, to}``, consecutive tasks of a list, a Dag's dependsOn instead, none
    between a Parallel's tasks.
    """

    nodes: list[dict[str, Any]]
    edges: list[dict[str, str]]


class NamespaceBody(BaseModel):
    """A namespace and the number of flows in it."""

    namespace: str
    count: int


class ValidationBody(BaseModel):
    """The outcome of validating a flow without deploying it."""

    valid: bool
    namespace: str | None = None
    id: str | None = None
    problems: list[ProblemBody]


class StatsBucket(BaseModel):
    """Executions started in one bucket, from ``at`` (ISO-8601 UTC), by state."""

    at: str
    counts: dict[str, int]


class StatsBody(BaseModel):
    """Execution counts over time; ``interval`` is the buckets' width (1m, 5m, 15m, 1h, 3h, 1d)."""

    interval: str
    buckets: list[StatsBucket]


def problem_body(problem: Problem) -> dict[str, Any]:
    """A problem as JSON (the file name is the request's, so it is left out)."""
    return {"line": problem.line, "column": problem.column, "path": problem.path, "message": problem.message}


# Kestra's bodies (harrier.webserver.kestra renders them): the fields Kestra's clients read,
# each model open to the extra camelCase fields Harrier adds.


class _KestraBody(BaseModel):
    model_config = ConfigDict(extra="allow")


class KestraStateHistory(_KestraBody):
    """One state change: the state entered and when (UTC, ISO-8601 with Z)."""

    state: str
    date: str


class KestraState(_KestraBody):
    """Kestra's State: the current state, every change, start and end dates, the duration
    (ISO-8601, to now while running); ``endDate`` is null until terminal or paused."""

    current: str
    histories: list[KestraStateHistory]
    startDate: str | None = None
    endDate: str | None = None
    duration: str | None = None


class KestraLabel(_KestraBody):
    """A label of a flow or an execution."""

    key: str
    value: str


class KestraAttempt(_KestraBody):
    """One attempt of a task run; Harrier adds its ``error``."""

    state: KestraState


class KestraTaskRun(_KestraBody):
    """One run of one task; Harrier adds ``outputs``, ``iterationPath`` (the ForEach indexes),
    ``branch``, ``items`` and ``error``."""

    id: str
    executionId: str
    namespace: str
    flowId: str
    taskId: str
    parentTaskRunId: str | None = None
    value: str | None = None
    state: KestraState
    attempts: list[KestraAttempt] = []
    outputs: dict[str, Any] = {}


class KestraExecutionTrigger(_KestraBody):
    """What started the execution: the trigger's id and type, and its variables."""

    id: str
    type: str
    variables: dict[str, Any] = {}


class KestraExecutionMetadata(_KestraBody):
    """How many times the execution ran (1, plus one per restart) and when it was created."""

    attemptNumber: int
    originalCreatedDate: str | None = None


class KestraExecution(_KestraBody):
    """Kestra's Execution; Harrier adds ``outputs``, ``error`` and, for a subflow's execution,
    ``parentTaskRunId``. Search results leave ``taskRunList`` and ``outputs`` out."""

    id: str
    namespace: str
    flowId: str
    flowRevision: int
    state: KestraState
    taskRunList: list[KestraTaskRun] | None = None
    inputs: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    labels: list[KestraLabel] = []
    trigger: KestraExecutionTrigger | None = None
    parentId: str | None = None
    originalId: str
    deleted: bool
    metadata: KestraExecutionMetadata


class KestraExecutions(_KestraBody):
    """Kestra's PagedResults of executions; ``nextCursor`` (Harrier's) pages past 10,000."""

    results: list[KestraExecution]
    total: int
    nextCursor: str | None = None


class KestraFlow(_KestraBody):
    """Kestra's FlowWithSource: the parsed flow with its YAML keys (tasks, inputs, triggers,
    errors, finally...), its revision and source; a Schedule trigger adds ``nextDate``."""

    id: str
    namespace: str
    revision: int
    source: str
    description: str | None = None
    labels: list[KestraLabel] = []
    disabled: bool
    deleted: bool
    draft: bool = False
    inputs: list[dict[str, Any]] = []
    triggers: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []


class KestraFlows(_KestraBody):
    """Kestra's PagedResults of flows; each result adds ``lastExecution``, the flow's newest
    execution (``{id, state, startDate}``) or null."""

    results: list[KestraFlow]
    total: int
    nextCursor: str | None = None


class KestraLogEntry(_KestraBody):
    """Kestra's LogEntry (``attemptNumber`` from 0); ``offset`` and ``line`` (the batch's Kafka
    offset, the line's index in it) identify a line across the follow stream and this API."""

    namespace: str
    flowId: str
    taskId: str | None = None
    executionId: str | None = None
    taskRunId: str | None = None
    attemptNumber: int | None = None
    triggerId: str | None = None
    timestamp: str
    level: str
    thread: str | None = None
    message: str


class KestraLogs(_KestraBody):
    """Kestra's paged log entries (``type`` OFFSET, or CURSOR when a cursor was given)."""

    results: list[KestraLogEntry]
    total: int
    type: str
    nextCursor: str | None = None


class KestraCommandAccepted(BaseModel):
    """A command was written to the ``executions`` topic; the executor applies it next."""

    executionId: str
    command: str
    message: str
