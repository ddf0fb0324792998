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
from harrier.core.tasks.http import Download, Request
from harrier.core.tasks.jsonata import TransformValue
from harrier.core.tasks.kv import KVDelete, KVGet, KVGetKeys, KVSet
from harrier.core.tasks.labels import SetLabels
from harrier.core.tasks.log import Echo, Log
from harrier.core.tasks.loops import EachParallel, EachSequential, WaitFor
from harrier.core.tasks.namespace import DeleteFiles, DownloadFiles, UploadFiles
from harrier.core.tasks.outputs import OutputValues, Return
from harrier.core.tasks.resume import ResumeTask
from harrier.core.tasks.scripts import PythonScript, ShellCommands
from harrier.core.tasks.sleep import Sleep
from harrier.core.tasks.state import StateDelete, StateGet, StateSet
from harrier.core.tasks.storage import (
    Concat,
    DeduplicateItems,
    Delete,
    FilterItems,
    LocalFiles,
    PurgeCurrentExecutionFiles,
    Reverse,
    Size,
    Split,
)
from harrier.core.tasks.workingdir import WorkingDirectory

__all__ = [
    "BUILTIN_TASKS",
    "AllowFailure",
    "Concat",
    "Dag",
    "DagTask",
    "DeduplicateItems",
    "DeleteFiles",
    "Delete",
    "Download",
    "DownloadFiles",
    "EachParallel",
    "EachSequential",
    "Echo",
    "Fail",
    "FilterItems",
    "ForEach",
    "If",
    "KVDelete",
    "KVGet",
    "KVGetKeys",
    "KVSet",
    "LocalFiles",
    "Log",
    "LogLevel",
    "OutputValues",
    "Parallel",
    "Pause",
    "Plugin",
    "PurgeCurrentExecutionFiles",
    "PythonScript",
    "Request",
    "ResumeTask",
    "Retry",
    "Return",
    "Reverse",
    "Sequential",
    "SetLabels",
    "ShellCommands",
    "Size",
    "Sleep",
    "Split",
    "StateDelete",
    "StateGet",
    "StateSet",
    "Subflow",
    "Switch",
    "Task",
    "TaskKind",
    "TransformValue",
    "UploadFiles",
    "WaitFor",
    "WorkingDirectory",
]

BUILTIN_TASKS: tuple[type[Task], ...] = (
    If,
    Switch,
    ForEach,
    Parallel,
    Sequential,
    WorkingDirectory,
    AllowFailure,
    Dag,
    Pause,
    Subflow,
    WaitFor,
    EachSequential,
    EachParallel,
    SetLabels,
    ResumeTask,
    Log,
    Echo,
    OutputValues,
    Return,
    Sleep,
    Fail,
    Request,
    Download,
    ShellCommands,
    PythonScript,
    TransformValue,
    Concat,
    Delete,
    Size,
    Reverse,
    Split,
    PurgeCurrentExecutionFiles,
    FilterItems,
    DeduplicateItems,
    LocalFiles,
    UploadFiles,
    DownloadFiles,
    DeleteFiles,
    KVSet,
    KVGet,
    KVDelete,
    KVGetKeys,
    StateSet,
    StateGet,
    StateDelete,
)
