"""Building the variables an expression sees, without copying the execution.

Kestra's context: `flow`, `execution`, `inputs`, `outputs`, `vars`, `taskrun`, `parent`,
`parents`, `trigger`, `labels`, `envs`, `task`. Here every entry is a reference to data the
executor already holds; `build_context` only assembles a small dict of them, so its cost
does not grow with the number of task runs.

`TaskOutputs` is the outputs store the executor keeps up to date as task runs end. Its shape
is Kestra's: `outputs[task_id]` is the task's outputs, or, for a task inside ForEach,
`outputs[task_id][iteration value]` (one level per enclosing ForEach).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from harrier.core.flows import Flow
from harrier.core.tasks.base import Task

__all__ = ["ERROR_LOGS", "TaskOutputs", "build_context", "environment_variables", "flow_variables", "iteration_key"]

# Where the executor puts the execution's error lines for `errorLogs()`, when a template
# calls it (a key no Kestra variable has, so the function's name stays free).
ERROR_LOGS = "harrier_error_logs"


def iteration_key(value: Any) -> str:
    """An iteration value as Kestra keys it: the string form (`true`, not `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


class _ByValue(dict[str, Any]):
    """Outputs by iteration value; keys are strings (Kestra's values), `[1]` finds `"1"`."""

    def __missing__(self, key: Any) -> Any:
        if isinstance(key, str):
            raise KeyError(key)
        return self[iteration_key(key)]


class TaskOutputs(Mapping[str, Any]):
    """Outputs of the task runs of one execution, by task id (and iteration values)."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def add(self, task_id: str, outputs: Mapping[str, Any], iteration: Sequence[Any] = ()) -> None:
        """Record a task run's outputs; `iteration` holds the values of its enclosing ForEach
        task runs, outermost first."""
        if not iteration:
            self._data[task_id] = outputs
            return
        node = self._data.setdefault(task_id, _ByValue())
        for value in iteration[:-1]:
            node = node.setdefault(iteration_key(value), _ByValue())
        node[iteration_key(iteration[-1])] = outputs

    def __getitem__(self, task_id: str) -> Any:
        return self._data[task_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._data


@functools.lru_cache(maxsize=1)
def environment_variables() -> Mapping[str, str]:
    """`envs`: environment variables prefixed `ENV_`, lower-cased without the prefix (Kestra)."""
    return {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("ENV_")}


def flow_variables(flow: Flow) -> dict[str, Any]:
    """`flow`: the flow's identity, as expressions see it."""
    return {"id": flow.id, "namespace": flow.namespace, "revision": flow.revision}


def build_context(
    flow: Flow,
    *,
    execution: Mapping[str, Any],
    inputs: Mapping[str, Any] | None = None,
    outputs: Mapping[str, Any] | None = None,
    task: Task | None = None,
    taskrun: Mapping[str, Any] | None = None,
    parents: Sequence[Mapping[str, Any]] = (),
    trigger: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    flow_info: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The variables for rendering one task's properties.

    `execution` holds at least `id` (and `startDate`, `originalId` when known); `taskrun`
    holds `id`, `value`, `attemptsCount` and `parentId`; `parents` lists the enclosing task
    runs' variables innermost first, each like `{"taskrun": {"value": ...}}`. `flow_info`
    lets the caller pass a `flow_variables(flow)` dict it keeps per flow. Nothing is copied.
    """
    context: dict[str, Any] = {
        "flow": flow_info if flow_info is not None else flow_variables(flow),
        "execution": execution,
        "inputs": inputs if inputs is not None else {},
        "outputs": outputs if outputs is not None else {},
        "vars": flow.variables or {},
        "labels": labels if labels is not None else flow.labels,
        "envs": environment_variables(),
    }
    if trigger is not None:
        context["trigger"] = trigger
    if task is not None:
        context["task"] = {"id": task.id, "type": task.type}
    if taskrun is not None:
        context["taskrun"] = taskrun
    if parents:
        context["parents"] = parents
        context["parent"] = parents[0]
    return context
