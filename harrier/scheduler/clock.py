"""Clocks: the system clock, and a manual one tests move by hand.

Every component that reads the time takes a ``Clock``, so a test can put the scheduler at
any instant and step it across cron ticks without sleeping.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """Something that tells the current time (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """The current instant."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that only moves when told to; safe to move from another thread."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The instant the clock was last set to."""
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (never backwards: a scheduler assumes time goes forward)."""
        instant = instant.astimezone(timezone.utc)
        with self._lock:
            if instant < self._now:
                raise ValueError(f"cannot move the clock back from {self._now} to {instant}")
            self._now = instant

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta``; return the new instant."""
        with self._lock:
            self._now += delta
            return self._now
