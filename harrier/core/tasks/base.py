"""The task base model and what every task type shares.

A task type is a pydantic model declaring only its own properties (`extra="forbid"`, so an
unknown property is an error). Class variables say how the type is named and who resolves it:

- `type_name`: Harrier's canonical short name (`Log`, `ForEach`, `shell.Commands`);
- `type_aliases`: other accepted names, such as Kestra's `io.kestra.plugin.core.log.Log`;
- `kind`: FLOWABLE types are resolved by the executor in its own step, RUNNABLE ones are
  sent to workers.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import Field, SerializeAsAny, model_validator

from harrier.core.models import Model
from harrier.core.properties import Duration, DynBool, DynDuration, Id

__all__ = ["AnyTask", "LogLevel", "Plugin", "Retry", "Task", "TaskKind"]


class TaskKind(enum.StrEnum):
    """Who resolves a task: the executor (FLOWABLE) or a worker (RUNNABLE)."""

    FLOWABLE = "FLOWABLE"
    RUNNABLE = "RUNNABLE"


class LogLevel(enum.StrEnum):
    """Log levels, as Kestra names them."""

    TRACE = "TRACE"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class Retry(Model):
    """Retry policy of a task (Kestra's `constant`, `exponential` and `random`)."""

    type: Literal["constant", "exponential", "random"]
    max_attempts: int | None = Field(default=None, ge=1)
    max_attempt: int | None = Field(default=None, ge=1, exclude=True)
    max_duration: Duration | None = None
    interval: Duration | None = None
    max_interval: Duration | None = None
    min_interval: Duration | None = None
    delay_factor: float | None = Field(default=None, gt=0)
    warning_on_retry: bool = False
    behavior: Literal["RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION"] = "RETRY_FAILED_TASK"

    @model_validator(mode="after")
    def _check_policy(self) -> Retry:
        if self.max_attempts is None and self.max_attempt is not None:
            # `maxAttempt` is the name older Kestra flows use.
            self.max_attempts = self.max_attempt
        if self.max_attempts is None and self.max_duration is None:
            raise ValueError("a retry needs maxAttempts or maxDuration")
        if self.type in ("constant", "exponential") and self.interval is None:
            raise ValueError(f"a {self.type} retry needs an interval")
        if self.type == "exponential" and self.max_interval is None:
            raise ValueError("an exponential retry needs a maxInterval")
        if self.type == "random" and (self.min_interval is None or self.max_interval is None):
            raise ValueError("a random retry needs minInterval and maxInterval")
        return self


class Plugin(Model):
    """What tasks and triggers share: an id, a type name and how the type is registered."""

    type_name: ClassVar[str] = ""
    type_aliases: ClassVar[tuple[str, ...]] = ()

    id: Id
    type: str
    description: str | None = None
    disabled: bool = False

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Cross-property checks run on the raw mapping, so they are reported together with
        per-property problems; yields (path relative to the mapping, message)."""
        return iter(())


class Task(Plugin):
    """Base of every task type; the properties here are valid on all tasks."""

    kind: ClassVar[TaskKind] = TaskKind.RUNNABLE
    # Properties the worker leaves as written: the task renders them itself (per item).
    unrendered: ClassVar[frozenset[str]] = frozenset()

    retry: Retry | None = None
    timeout: DynDuration | None = None
    allow_failure: bool = False
    # A WARNING end counts as SUCCESS (Kestra's `allowWarning`).
    allow_warning: bool = False
    run_if: DynBool | None = None
    log_level: LogLevel | None = None
    log_to_file: bool = False
    worker_group: dict[str, Any] | None = None

    @property
    def is_flowable(self) -> bool:
        """True when the executor resolves this task itself."""
        return self.kind is TaskKind.FLOWABLE


# A task of any registered type: dumps with the properties of its own type, not just Task's.
AnyTask = SerializeAsAny[Task]
