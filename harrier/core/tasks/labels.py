"""Kestra's execution `Labels` task: add labels to the running execution.

It changes the execution itself, so the executor resolves it in its own step (FLOWABLE kind,
no children) instead of a worker: the rendered labels are merged into the execution's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from harrier.core.tasks.base import Task, TaskKind

__all__ = ["SetLabels"]


class SetLabels(Task):
    """Merge `labels` (a mapping or a list of key/value pairs; values may be templates) into
    the execution's labels."""

    type_name: ClassVar[str] = "execution.Labels"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.Labels", "io.kestra.core.tasks.executions.Labels")
    kind: ClassVar[TaskKind] = TaskKind.FLOWABLE

    labels: dict[str, Any] | list[dict[str, Any]] | str
