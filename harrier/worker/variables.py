"""The expression variables of a task run, from its WorkerTask: what preparation renders the
properties with, and what tasks that render per item (FilterItems) start from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harrier.core.expressions import environment_variables
from harrier.core.messages import WorkerTask
from harrier.core.sealing import reveal_inputs

__all__ = ["build_variables"]


def build_variables(record: WorkerTask) -> dict[str, Any]:
    """The expression variables of a task run: its context plus what the record itself says.

    SECRET inputs arrive sealed and are revealed here, for rendering only (ValueError when
    this worker's encryption key cannot read them).
    """
    variables = dict(reveal_inputs(record.context))
    taskrun = {"id": record.task_run_id, "value": record.value, "attemptsCount": record.attempt}
    if "taskrun" in variables and isinstance(variables["taskrun"], Mapping):
        taskrun = {**taskrun, **variables["taskrun"]}
    variables["taskrun"] = taskrun
    variables.setdefault("execution", {"id": record.execution_id})
    variables.setdefault("flow", {"id": record.flow_id, "namespace": record.namespace, "revision": record.flow_revision})
    variables.setdefault("task", {"id": record.task_id, "type": record.task.get("type")})
    variables.setdefault("envs", environment_variables())
    return variables
