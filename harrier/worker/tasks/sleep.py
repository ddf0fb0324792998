"""Sleep: wait without holding a thread."""

from __future__ import annotations

import asyncio

from harrier.core.tasks import Sleep
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure

__all__ = ["run_sleep"]


async def run_sleep(task: Sleep, context: RunContext) -> None:
    """Sleep for `duration`; a kill or timeout cancels the coroutine."""
    if isinstance(task.duration, str):
        raise TaskFailure(f"property duration: {task.duration!r} is not an ISO-8601 duration")
    seconds = task.duration.total_seconds()
    if seconds < 0:
        raise TaskFailure(f"property duration: a sleep cannot be negative ({task.duration})")
    await asyncio.sleep(seconds)
