"""Kestra's execution `Resume` task: resume a PAUSED execution, this one by default.

Like Labels it is resolved in the executor's step: it sends a resume command for
`executionId` on `executions` and succeeds once sent. Whether that execution was paused is
decided where it is owned, so an execution that was not paused is left as it was (Kestra's
task fails then; here the target's executor logs the dropped command).
"""

from __future__ import annotations

from typing import Any, ClassVar

from harrier.core.properties import DynStr
from harrier.core.tasks.base import Task, TaskKind

__all__ = ["ResumeTask"]


class ResumeTask(Task):
    """Resume execution `executionId` (this one when unset) with `inputs` for its Pause's onResume."""

    type_name: ClassVar[str] = "execution.Resume"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.Resume",)
    kind: ClassVar[TaskKind] = TaskKind.FLOWABLE

    execution_id: DynStr | None = None
    namespace: DynStr | None = None
    flow_id: DynStr | None = None
    inputs: dict[str, Any] | None = None
