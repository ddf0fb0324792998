"""Log: write one message or several at the task's level."""

from __future__ import annotations

from harrier.core.expressions import to_text
from harrier.core.tasks import Echo, Log
from harrier.worker.context import RunContext

__all__ = ["run_echo", "run_log"]


def run_log(task: Log, context: RunContext) -> None:
    """Log each message (rendered) at `level`; no outputs, as in Kestra."""
    messages = task.message if isinstance(task.message, list) else [task.message]
    for message in messages:
        context.logger.log(task.level, message if isinstance(message, str) else to_text(message))


def run_echo(task: Echo, context: RunContext) -> None:
    """Log the rendered `format` at `level`; no outputs."""
    context.logger.log(task.level, task.format)
