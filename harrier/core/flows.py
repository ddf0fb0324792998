"""The Flow model: what a flow YAML document declares."""

from __future__ import annotations

import enum
import re
from datetime import timedelta
from typing import Any

from pydantic import Field, PrivateAttr, SerializeAsAny, field_validator

from harrier.core.durations import format_duration
from harrier.core.inputs import Input, InputType
from harrier.core.models import Model
from harrier.core.plugin_defaults import PluginDefault
from harrier.core.properties import Duration, Id, Labels
from harrier.core.sla import SLA
from harrier.core.tasks.base import AnyTask, Retry, Task
from harrier.core.triggers import Trigger

__all__ = ["Concurrency", "ConcurrencyBehavior", "Flow", "FlowOutput"]

_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class ConcurrencyBehavior(enum.StrEnum):
    """What happens to a new execution when the flow's concurrency limit is reached."""

    QUEUE = "QUEUE"
    CANCEL = "CANCEL"
    FAIL = "FAIL"


class Concurrency(Model):
    """At most `limit` running executions of the flow; `behavior` decides about the others."""

    limit: int = Field(ge=1)
    behavior: ConcurrencyBehavior = ConcurrencyBehavior.QUEUE


class FlowOutput(Model):
    """A flow output: a value rendered when the execution ends."""

    id: Id
    type: InputType = InputType.STRING
    value: Any
    description: str | None = None
    required: bool = True


class Flow(Model):
    """A flow: its identity, inputs, tasks, error handlers, triggers and settings.

    `timeout` bounds an execution's whole run, from the moment it starts RUNNING (time spent
    QUEUED behind a concurrency limit does not count, paused time does); past it the
    execution is killed and ends FAILED, like Kestra's MAX_DURATION SLA with behavior FAIL
    (`harrier.core.transitions.flow_timeout`).

    `afterExecution` tasks run once the execution's outcome is known (its tasks, errors and
    finally done); they see that outcome as `execution.state` and cannot change it. `retry`
    is the retry policy of every runnable task that has none of its own. `taskDefaults` is
    the older name of `pluginDefaults`.
    """

    id: Id
    namespace: str
    revision: int | None = Field(default=None, ge=1)
    description: str | None = None
    labels: Labels = Field(default_factory=dict)
    inputs: list[Input] | None = None
    variables: dict[str, Any] | None = None
    tasks: list[AnyTask] = Field(min_length=1)
    errors: list[AnyTask] | None = None
    finally_: list[AnyTask] | None = Field(default=None, alias="finally")
    after_execution: list[AnyTask] | None = None
    triggers: list[SerializeAsAny[Trigger]] | None = None
    outputs: list[FlowOutput] | None = None
    concurrency: Concurrency | None = None
    timeout: Duration | None = None
    retry: Retry | None = None
    sla: list[SLA] | None = None
    plugin_defaults: list[PluginDefault] | None = None
    task_defaults: list[PluginDefault] | None = None
    disabled: bool = False

    _source: str | None = PrivateAttr(default=None)
    _index: Any = PrivateAttr(default=None)

    @field_validator("namespace")
    @classmethod
    def _check_namespace(cls, value: str) -> str:
        if not _NAMESPACE.match(value):
            raise ValueError(f"invalid namespace {value!r}: use lowercase letters, digits, '.', '_' and '-'")
        return value

    @field_validator("timeout")
    @classmethod
    def _check_timeout(cls, value: timedelta | None) -> timedelta | None:
        # A zero or negative timeout would kill every execution as it starts.
        if value is not None and value <= timedelta(0):
            raise ValueError(f"timeout must be positive, got {format_duration(value)}")
        return value

    @property
    def uid(self) -> str:
        """`namespace/id`, the flow's key on the flows topic."""
        return f"{self.namespace}/{self.id}"

    @property
    def source(self) -> str | None:
        """The YAML text the flow was parsed from, when it came from text."""
        return self._source

    @property
    def index(self) -> Any:
        """The flow's task index (a `harrier.core.tree.FlowIndex`), built on first use."""
        if self._index is None:
            from harrier.core.tree import FlowIndex

            self._index = FlowIndex(self)
        return self._index

    def task(self, task_id: str) -> Task:
        """The task with id `task_id` anywhere in the flow; KeyError if there is none."""
        task: Task = self.index.task(task_id)
        return task
