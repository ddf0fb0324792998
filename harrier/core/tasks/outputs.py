"""Tasks that only produce outputs: OutputValues and Return."""

from __future__ import annotations

from typing import Any, ClassVar

from harrier.core.properties import DynStr
from harrier.core.tasks.base import Task

__all__ = ["OutputValues", "Return"]


class OutputValues(Task):
    """Publish `values` (rendered) as the task's outputs, under `outputs.<id>.values`."""

    type_name: ClassVar[str] = "OutputValues"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.output.OutputValues",)

    values: dict[str, Any]


class Return(Task):
    """Render `format` and publish it as `outputs.<id>.value`."""

    type_name: ClassVar[str] = "Return"
    type_aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.debug.Return",
        "io.kestra.core.tasks.debugs.Return",
    )

    format: DynStr | None = None
