"""One line for a Kafka client error that repeats, not one per reconnect attempt.

While a broker is down (stopped, or it took its log dir offline when the disk filled up)
every client of a process fails to connect again and again: librdkafka logs each attempt
and reports it to the error callback, tens of lines a second per component. The filter
lets the first of a kind through, holds back the same kind (the message without its
numbers and client names) for a minute, and then lets one through again saying how many it
held back, so an outage reads as a line a minute and its end as the lines stopping.
"""

from __future__ import annotations

import logging
import re
import threading
import time

__all__ = ["RepeatFilter"]

# Client names ("[harrier-worker#consumer-3]"), thread names, addresses, counts, durations.
_VARYING = re.compile(r"\[[^\]]*\]|\d+")


class RepeatFilter(logging.Filter):
    """Passes a warning or error of one kind at most once per ``window_s``."""

    def __init__(self, window_s: float = 60.0) -> None:
        super().__init__()
        self._window_s = window_s
        self._kinds: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = _VARYING.sub("", record.getMessage())
        now = time.monotonic()
        with self._lock:
            shown_at, held = self._kinds.get(kind, (-self._window_s, 0))
            if now - shown_at < self._window_s:
                self._kinds[kind] = (shown_at, held + 1)
                return False
            self._kinds[kind] = (now, 0)
        if held:
            record.msg = f"{record.getMessage()} (and {held} more like it in the last {self._window_s:.0f} s)"
            record.args = None
        return True
