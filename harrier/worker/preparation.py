"""From a received WorkerTask to a runnable task: resolve the type, render, validate.

The worker never mutates what it received: rendering builds new dicts and lists, and the
context is copied before the worker adds the `taskrun`, `execution`, `flow` and `task`
variables it can derive from the record itself.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions import render_value
from harrier.core.messages import WorkerTask
from harrier.core.registry import Registry
from harrier.core.tasks.base import LogLevel, Task, TaskKind
from harrier.worker.exceptions import TaskNotRunnable
from harrier.worker.tasks import run_function
from harrier.worker.variables import build_variables

__all__ = ["Prepared", "STATIC_PROPERTIES", "build_variables", "prepare", "requested_log_level"]

RunResult = Mapping[str, Any] | None
RunFunction = Callable[[Any, Any], RunResult | Awaitable[RunResult]]

# Properties that describe how to run the task rather than what it does: never rendered.
STATIC_PROPERTIES = frozenset(
    {"id", "type", "description", "disabled", "retry", "allowFailure", "runIf", "logLevel", "logToFile", "workerGroup"}
)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A task ready to run: its validated declaration with rendered properties, and how to run it."""

    task: Task
    run: RunFunction
    is_async: bool
    timeout: timedelta | None


def requested_log_level(raw: Mapping[str, Any]) -> LogLevel | None:
    """The task's `logLevel` as written, or None (everything is logged)."""
    value = raw.get("logLevel")
    try:
        return LogLevel(value) if isinstance(value, str) else None
    except ValueError:
        return None


def prepare(record: WorkerTask, registry: Registry) -> Prepared:
    """Resolve, render and validate the task of `record`; `TaskNotRunnable` says what is wrong."""
    raw = record.task
    type_name = raw.get("type")
    if not isinstance(type_name, str) or not type_name:
        raise TaskNotRunnable("the task definition has no 'type'")
    cls = registry.task(type_name)
    if cls is None:
        suggestion = registry.suggest(type_name)
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        raise TaskNotRunnable(f"unknown task type {type_name!r}{hint}")
    if cls.kind is TaskKind.FLOWABLE:
        raise TaskNotRunnable(f"type {type_name!r} is a flowable task, resolved by the executor, not by a worker")
    run = run_function(cls)
    if run is None:
        raise TaskNotRunnable(f"type {type_name!r} has no run implementation in this worker")

    try:
        variables = build_variables(record)
    except ValueError as exc:
        raise TaskNotRunnable(str(exc)) from None
    rendered: dict[str, Any] = {}
    try:
        for key, value in raw.items():
            static = key in STATIC_PROPERTIES or key in cls.unrendered
            rendered[key] = value if static else render_value(value, variables, where=key)
    except HarrierExpressionError as exc:
        raise TaskNotRunnable(f"property {exc}") from None
    try:
        task = cls.model_validate(rendered)
    except ValidationError as exc:
        retyped = _retype(rendered, exc)
        if retyped is None:
            raise TaskNotRunnable(_describe(exc)) from None
        try:
            task = cls.model_validate(retyped)
        except ValidationError as again:
            raise TaskNotRunnable(_describe(again)) from None
    timeout = task.timeout if isinstance(task.timeout, timedelta) else None
    if task.timeout is not None and timeout is None:
        raise TaskNotRunnable(f"property timeout: {task.timeout!r} is not an ISO-8601 duration")
    return Prepared(task=task, run=run, is_async=_is_coroutine_function(run), timeout=timeout)


@functools.lru_cache(maxsize=None)
def _is_coroutine_function(run: RunFunction) -> bool:
    return inspect.iscoroutinefunction(run)


def _retype(rendered: dict[str, Any], exc: ValidationError) -> dict[str, Any] | None:
    """Parse rendered strings as JSON scalars where a typed property refused them, or None.

    A template that printed text (`"{{ inputs.flag }}"` with the input `"true"`) yields a
    string; like Kestra, which renders then converts, `"true"`, `"5"` and `"1.5"` are then
    taken as the boolean or number the property wants.
    """
    retyped = copy.deepcopy(rendered)
    changed = False
    for error in exc.errors(include_url=False):
        value = error.get("input")
        if error["type"] != "harrier_type" or not isinstance(value, str):
            continue
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            continue
        if isinstance(parsed, (dict, list, str)) or parsed is None:
            continue
        *parents, last = error["loc"]
        node: Any = retyped
        for part in parents:
            node = node[part]
        node[last] = parsed
        changed = True
    return retyped if changed else None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False)[:5]:
        path = ".".join(str(part) for part in error["loc"]) or "task"
        problems.append(f"property {path}: {error['msg']}")
    return "; ".join(problems)
