"""Retry back-off: how long to wait before the next attempt, or None when retries are spent.

Kestra's semantics: `maxAttempts` counts every attempt (the first included), `maxDuration`
bounds the time from the first attempt's start to the next attempt's start. Exponential
waits `interval * delayFactor^(n-1)` (factor 2 by default) capped at `maxInterval`; random
waits between `minInterval` and `maxInterval`, drawn from a hash of the task run id and the
attempt number so that replaying a step gives the same wait.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from harrier.core.executions import TaskRun
from harrier.core.tasks.base import Retry

__all__ = ["DEFAULT_DELAY_FACTOR", "retry_delay"]

DEFAULT_DELAY_FACTOR = 2.0


def _fraction(seed: str) -> float:
    digest = hashlib.blake2b(seed.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


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
