"""The Fail task: fail the execution, optionally only when a condition holds."""

from __future__ import annotations

from typing import ClassVar

from harrier.core.properties import DynBool, DynStr
from harrier.core.tasks.base import Task

__all__ = ["Fail"]


class Fail(Task):
    """Fail with `errorMessage` when `condition` renders truthy (always, when unset)."""

    type_name: ClassVar[str] = "Fail"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.Fail", "io.kestra.core.tasks.executions.Fail")

    condition: DynBool | None = None
    error_message: DynStr = "Task failure"
