"""The Sleep task."""

from __future__ import annotations

from typing import ClassVar

from harrier.core.properties import DynDuration
from harrier.core.tasks.base import Task

__all__ = ["Sleep"]


class Sleep(Task):
    """Wait for `duration` (ISO-8601)."""

    type_name: ClassVar[str] = "Sleep"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.flow.Sleep",)

    duration: DynDuration
