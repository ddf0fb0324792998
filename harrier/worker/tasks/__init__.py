"""How runnable tasks run: one module per family, looked up by the declaration's type_name.

The declarations in `harrier.core.tasks` stay the only place a type's properties are
defined; a run function takes the validated declaration (properties already rendered) and
the `RunContext`, and returns the task's outputs. A coroutine function runs in the worker's
asyncio lane, a plain function in its thread pool. A third-party type registered through the
`harrier.tasks` entry point may define its own `run(self, context)` method instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harrier.core.tasks import (
    Download,
    Echo,
    Fail,
    KVDelete,
    KVGet,
    KVGetKeys,
    KVSet,
    Log,
    OutputValues,
    PythonScript,
    Request,
    Return,
    ShellCommands,
    Sleep,
    StateDelete,
    StateGet,
    StateSet,
    Task,
    TransformValue,
)
from harrier.worker.tasks.fail import run_fail
from harrier.worker.tasks.http import run_download, run_request
from harrier.worker.tasks.jsonata import run_transform_value
from harrier.worker.tasks.kv import run_kv_delete, run_kv_get, run_kv_get_keys, run_kv_set
from harrier.worker.tasks.log import run_echo, run_log
from harrier.worker.tasks.namespace import NAMESPACE_RUNS
from harrier.worker.tasks.outputs import run_output_values, run_return
from harrier.worker.tasks.scripts import run_python_script, run_shell_commands
from harrier.worker.tasks.sleep import run_sleep
from harrier.worker.tasks.state import run_state_delete, run_state_get, run_state_set
from harrier.worker.tasks.storage import STORAGE_RUNS

__all__ = ["RUNS", "run_function"]

RUNS: dict[str, Callable[..., Any]] = {
    Log.type_name: run_log,
    Echo.type_name: run_echo,
    OutputValues.type_name: run_output_values,
    Return.type_name: run_return,
    Sleep.type_name: run_sleep,
    Fail.type_name: run_fail,
    Request.type_name: run_request,
    Download.type_name: run_download,
    ShellCommands.type_name: run_shell_commands,
    PythonScript.type_name: run_python_script,
    TransformValue.type_name: run_transform_value,
    KVSet.type_name: run_kv_set,
    KVGet.type_name: run_kv_get,
    KVDelete.type_name: run_kv_delete,
    KVGetKeys.type_name: run_kv_get_keys,
    StateSet.type_name: run_state_set,
    StateGet.type_name: run_state_get,
    StateDelete.type_name: run_state_delete,
    **STORAGE_RUNS,
    **NAMESPACE_RUNS,
}


def run_function(cls: type[Task]) -> Callable[..., Any] | None:
    """The run function of a task class: its own `run` method if it has one, else the built-in."""
    own = getattr(cls, "run", None)
    if callable(own):
        return own  # type: ignore[no-any-return]
    return RUNS.get(cls.type_name)
