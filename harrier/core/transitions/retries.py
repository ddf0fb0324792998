"""Retry back-off: how long to wait before the next attempt, or None when retries are spent.

Kestra's semantics: `maxAttempts` counts every attempt (the first included), `maxDuration`
bounds the time from the first attempt's start to the next attempt's start. Exponential
waits `interval * delayFactor^(n-1)` (factor 2 by default) capped at `maxInterval`; random
waits between `minInterval` and `maxInterval`, drawn from a hash of the task run id and the
attempt number so that replaying a step gives the same wait.

A flow's `retry` stands in for the policy of each runnable task that has none. Its
`behavior` CREATE_NEW_EXECUTION is read as RETRY_FAILED_TASK: the failed task gets a new
attempt in the same execution.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from harrier.core.executions import TaskRun
from harrier.core.flows import Flow
from harrier.core.tasks.base import Retry, Task

__all__ = ["DEFAULT_DELAY_FACTOR", "retry_delay", "retry_of"]

DEFAULT_DELAY_FACTOR = 2.0


def _fraction(seed: str) -> float:
    digest = hashlib.blake2b(seed.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def retry_of(task: Task, flow: Flow) -> Retry | None:
    """The retry policy of `task`: its own, else (for a runnable task) the flow's."""
    if task.retry is not None or task.is_flowable:
        return task.retry
    return flow.retry


def retry_delay(retry: Retry | None, tr: TaskRun, now: datetime) -> timedelta | None:
    """The wait before attempt `len(tr.attempts) + 1`, or None if the policy allows no more."""
    if retry is None or not tr.attempts:
        return None
    done = len(tr.attempts)
    if retry.max_attempts is not None and done >= retry.max_attempts:
        return None
    if retry.type == "constant":
        delay = retry.interval or timedelta()
    elif retry.type == "exponential":
        interval = retry.interval or timedelta()
        factor = retry.delay_factor or DEFAULT_DELAY_FACTOR
        delay = interval * factor ** (done - 1)
        if retry.max_interval is not None:
            delay = min(delay, retry.max_interval)
    else:
        low = retry.min_interval or timedelta()
        high = retry.max_interval or low
        delay = low + (high - low) * _fraction(f"{tr.id}/{done}")
    if retry.max_duration is not None and now + delay - tr.attempts[0].started_at > retry.max_duration:
        return None
    return delay
