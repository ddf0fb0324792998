"""OutputValues and Return: tasks whose only effect is their outputs."""

from __future__ import annotations

from typing import Any

from harrier.core.expressions import to_text
from harrier.core.tasks import OutputValues, Return
from harrier.worker.context import RunContext

__all__ = ["run_output_values", "run_return"]


def run_output_values(task: OutputValues, context: RunContext) -> dict[str, Any]:
    """Outputs `values` (already rendered): `outputs.<id>.values.<name>`."""
    return {"values": task.values}


def run_return(task: Return, context: RunContext) -> dict[str, Any]:
    """Outputs the rendered `format` as `outputs.<id>.value` (a string, as in Kestra)."""
    value = None if task.format is None else to_text(task.format)
    context.logger.debug(f"return value: {value}")
    return {"value": value}
