"""What the harness knows about each execution it sent: when, how it ended, and when."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["OK_STATES", "Sample", "SampleBook"]

# Terminal states counted as a successful run; any other terminal state is a failure.
OK_STATES = frozenset({"SUCCESS", "WARNING"})


@dataclass(slots=True)
class Sample:
    """One execution: its harness key, send time, and (once known) its end; `http_s`, the time
    its HTTP request took to be answered, when it was started by one (`--full`)."""

    key: str
    sent_at: float
    send_lag_s: float = 0.0
    ended_at: float | None = None
    state: str | None = None
    server_duration_s: float | None = None
    timed_out: bool = False
    error: str | None = None
    http_s: float | None = None

    @property
    def ended(self) -> bool:
        """True once a terminal state (or a send error) was seen."""
        return self.ended_at is not None

    @property
    def succeeded(self) -> bool:
        """True if it ended in SUCCESS or WARNING."""
        return self.ended and self.state in OK_STATES

    @property
    def latency_s(self) -> float | None:
        """Send to terminal state, in seconds."""
        return None if self.ended_at is None else self.ended_at - self.sent_at


class SampleBook:
    """The samples of one step, shared by the sending coroutine and the observer (maybe a thread).

    Ends for keys the book does not know (other steps, other runs) are ignored, and only the
    first end of a key counts, so a snapshot replayed twice cannot shorten a latency.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._samples: dict[str, Sample] = {}
        self._open = 0
        self._lock = threading.Lock()
        self._all_ended = threading.Event()

    def sent(self, key: str, lag_s: float = 0.0, at: float | None = None) -> Sample:
        """Record a send now (or at `at`); a key may be sent once."""
        with self._lock:
            if key in self._samples:
                raise ValueError(f"key {key!r} was already sent in this step")
            sample = Sample(key, self._clock() if at is None else at, lag_s)
            self._samples[key] = sample
            self._open += 1
            self._all_ended.clear()
            return sample

    def ended(
        self,
        key: str,
        state: str,
        at: float | None = None,
        server_duration_s: float | None = None,
        error: str | None = None,
    ) -> bool:
        """Record the terminal state of `key`; False if the key is unknown or already ended."""
        now = self._clock() if at is None else at
        with self._lock:
            sample = self._samples.get(key)
            if sample is None or sample.ended or sample.timed_out:
                return False
            sample.ended_at = now
            sample.state = state
            sample.server_duration_s = server_duration_s
            sample.error = error
            self._close_one()
            return True

    def answered(self, key: str, http_s: float) -> None:
        """Record how long the request that started `key` took to be answered (successfully)."""
        with self._lock:
            sample = self._samples.get(key)
            if sample is not None:
                sample.http_s = http_s

    def expire(self) -> int:
        """Mark every sample still open as timed out; return how many."""
        with self._lock:
            count = 0
            for sample in self._samples.values():
                if not sample.ended and not sample.timed_out:
                    sample.timed_out = True
                    count += 1
                    self._close_one()
            return count

    def wait_all_ended(self, timeout_s: float) -> bool:
        """Block until nothing is open or the timeout passes; True if nothing is open."""
        return self._all_ended.wait(timeout_s)

    @property
    def open_count(self) -> int:
        """Samples sent and not yet ended or expired."""
        return self._open

    @property
    def sent_count(self) -> int:
        """Samples sent so far."""
        return len(self._samples)

    @property
    def ended_count(self) -> int:
        """Samples sent and already closed (ended or expired)."""
        return len(self._samples) - self._open

    def samples(self) -> list[Sample]:
        """All samples, in send order."""
        with self._lock:
            return list(self._samples.values())

    def _close_one(self) -> None:
        self._open -= 1
        if self._open == 0:
            self._all_ended.set()
