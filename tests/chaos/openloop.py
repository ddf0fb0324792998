"""The schedule both loads keep: ``total`` sends at ``rate`` a second (open loop).

Each send is due at its own time from the start, whatever the system under test does; a
load says how it waits (a producer serves its delivery reports meanwhile) and what it sends.
"""

from __future__ import annotations

import threading
import time

__all__ = ["OpenLoop"]


class OpenLoop:
    """Sends ``total`` times at ``rate`` per second from a thread of its own."""

    def __init__(self, total: int, rate: float, name: str) -> None:
        self.total = total
        self._rate = rate
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.started_at = 0.0

    def start(self) -> None:
        self.started_at = time.monotonic()
        self._thread.start()

    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def done(self) -> bool:
        return not self._thread.is_alive()

    def _run(self) -> None:
        interval = 1.0 / self._rate
        for n in range(self.total):
            due = self.started_at + n * interval
            while (wait := due - time.monotonic()) > 0:
                self._wait(wait)
            self._send(n)
        self._finish()

    def _wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def _send(self, n: int) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """After the last send (a producer flushes)."""
