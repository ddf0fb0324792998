"""The lock monitor: reports triggers whose locking execution vanished.

A trigger stays locked until its execution's terminal state appears on ``execution-states``.
If that execution never appears (its create was lost) or disappears without a terminal state
(tombstoned), the trigger would stay locked forever. Finding those means reading the whole
compacted topic, which the evaluation loop must never do, so this runs in its own thread
with its own consumer and only reads the partitions' lock lists.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from harrier.core.states import TERMINAL, State
from harrier.scheduler.clock import Clock
from harrier.scheduler.partition import Lock
from harrier.scheduler.upstream import read_execution

__all__ = ["LockMonitor", "StaleLock", "find_stale_locks"]

logger = logging.getLogger("harrier.scheduler.monitor")


@dataclass(frozen=True, slots=True)
class StaleLock:
    """A trigger locked by an execution that is missing, or ended without releasing it."""

    uid: str
    execution_id: str
    locked_at: datetime
    reason: str


def find_stale_locks(
    locks: Iterable[Lock], present: dict[str, State], scanned_at: datetime, grace: timedelta
) -> list[StaleLock]:
    """Locks older than ``grace`` whose execution is absent from ``present`` or terminal in it.

    ``present`` maps execution ids to their latest state on ``execution-states`` as read at
    ``scanned_at``; a lock younger than ``grace`` may simply not have reached the topic yet.
    """
    stale = []
    for lock in locks:
        if scanned_at - lock.locked_at < grace:
            continue
        state = present.get(lock.execution_id)
        if state is None:
            stale.append(StaleLock(lock.uid, lock.execution_id, lock.locked_at, "execution not found on execution-states"))
        elif state in TERMINAL:
            stale.append(StaleLock(lock.uid, lock.execution_id, lock.locked_at, f"execution ended {state} but the lock was not released"))
    return stale


class LockMonitor(threading.Thread):
    """Every ``interval``, scan ``execution-states`` and report stale locks (once each)."""

    def __init__(
        self,
        consumer: Consumer,
        topic: str,
        locks: Callable[[], list[Lock]],
        clock: Clock,
        *,
        interval: timedelta = timedelta(seconds=60),
        grace: timedelta = timedelta(seconds=60),
        on_stale: Callable[[StaleLock], None] | None = None,
    ) -> None:
        super().__init__(name="harrier-scheduler-monitor", daemon=True)
        self._consumer = consumer
        self._topic = topic
        self._locks = locks
        self._clock = clock
        self._interval = interval.total_seconds()
        self._grace = grace
        self._on_stale = on_stale or (lambda s: logger.warning(
            "trigger %s is locked by execution %s since %s: %s", s.uid, s.execution_id, s.locked_at.isoformat(), s.reason))
        self._reported: set[tuple[str, str]] = set()
        self.stop_event = threading.Event()
        self.stale: list[StaleLock] = []

    def run(self) -> None:
        """Scan until stopped."""
        try:
            while not self.stop_event.wait(self._interval):
                self.scan()
        finally:
            self._consumer.close()

    def scan(self) -> list[StaleLock]:
        """One pass: read the topic to its end, compare with the current locks, report new ones."""
        scanned_at = self._clock.now()
        present = self._read_all()
        found = find_stale_locks(self._locks(), present, scanned_at, self._grace)
        for lock in found:
            if (lock.uid, lock.execution_id) not in self._reported:
                self._reported.add((lock.uid, lock.execution_id))
                self._on_stale(lock)
        self.stale = found
        return found

    def _read_all(self) -> dict[str, State]:
        metadata = self._consumer.list_topics(self._topic, timeout=30)
        partitions = list(metadata.topics[self._topic].partitions)
        self._consumer.assign([TopicPartition(self._topic, q, OFFSET_BEGINNING) for q in partitions])
        pending, present = set(partitions), {}
        deadline = time.monotonic() + 300
        try:
            while pending and time.monotonic() < deadline:
                for message in self._consumer.consume(num_messages=5000, timeout=0.5):
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            pending.discard(message.partition())
                        continue
                    key = (message.key() or b"").decode("utf-8", "replace")
                    if message.value() is None:
                        present.pop(key, None)
                        continue
                    try:
                        present[key] = read_execution(message.value()).state
                    except Exception:  # noqa: BLE001 - an unreadable snapshot still proves presence
                        present[key] = State.RUNNING
        finally:
            self._consumer.unassign()
        return present
