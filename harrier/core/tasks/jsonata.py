"""The JSONata TransformValue task."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from harrier.core.properties import DynInt, DynStr
from harrier.core.tasks.base import Task

__all__ = ["TransformValue"]


class TransformValue(Task):
    """Apply the JSONata `expression` to `from` (a value, a JSON string or an expression)."""

    type_name: ClassVar[str] = "jsonata.TransformValue"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.transform.jsonata.TransformValue",)

    from_: Any = Field(alias="from")
    expression: DynStr
    max_depth: DynInt = 1000
