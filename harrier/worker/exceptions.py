"""Worker exceptions.

WorkerError            base of everything raised by harrier.worker
 +-- TaskFailure       a task run failed for a reason its author should read (the result's
 |                     error); raised by task implementations and by the worker itself
 |    +-- TaskNotRunnable  the worker cannot run the task: unknown or flowable type, invalid
 |                         properties, an expression that does not render
 +-- WorkerStateError  the worker was used against its lifecycle (started twice, ...)
"""

from __future__ import annotations

__all__ = ["TaskFailure", "TaskNotRunnable", "WorkerError", "WorkerStateError"]


class WorkerError(Exception):
    """Base of the exceptions raised by ``harrier.worker``."""


class TaskFailure(WorkerError):
    """The task run failed; the message is the cause, shown as is in the result."""


class TaskNotRunnable(TaskFailure):
    """The task cannot be run by this worker (type, properties or expressions)."""


class WorkerStateError(WorkerError):
    """A worker method was called in a state that does not allow it."""
