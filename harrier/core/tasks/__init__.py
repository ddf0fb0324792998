"""Built-in task types, one module per family."""

from __future__ import annotations

from harrier.core.tasks.base import LogLevel, Plugin, Retry, Task, TaskKind
from harrier.core.tasks.fail import Fail
from harrier.core.tasks.flowable import (
    AllowFailure,
    Dag,
    DagTask,
    ForEach,
    If,
    Parallel,
    Pause,
    Sequential,
    Subflow,
    Switch,
)
from harrier.core.tasks.http import Request
from harrier.core.tasks.jsonata import TransformValue
from harrier.core.tasks.log import Log
from harrier.core.tasks.outputs import OutputValues, Return
from harrier.core.tasks.scripts import PythonScript, ShellCommands
from harrier.core.tasks.sleep import Sleep

__all__ = [
    "BUILTIN_TASKS",
    "AllowFailure",
    "Dag",
    "DagTask",
    "Fail",
    "ForEach",
    "If",
    "Log",
    "LogLevel",
    "OutputValues",
    "Parallel",
    "Pause",
    "Plugin",
    "PythonScript",
    "Request",
    "Retry",
    "Return",
    "Sequential",
    "ShellCommands",
    "Sleep",
    "Subflow",
    "Switch",
    "Task",
    "TaskKind",
    "TransformValue",
]

BUILTIN_TASKS: tuple[type[Task], ...] = (
    If,
    Switch,
    ForEach,
    Parallel,
    Sequential,
    AllowFailure,
    Dag,
    Pause,
    Subflow,
    Log,
    OutputValues,
    Return,
    Sleep,
    Fail,
    Request,
    ShellCommands,
    PythonScript,
    TransformValue,
)
