"""The lock monitor: reports triggers whose locking execution vanished.

A trigger stays locked until its execution's terminal state appears on ``execution-states``.
If that execution never appears (its create was lost) or disappears without a terminal state
(tombstoned), the trigger would stay locked forever. Finding those means reading the
compacted topic, which the evaluation loop must never do, so this runs in its own thread
with its own consumer and only reads the partitions' lock lists.

The first scan reads the topic from its start; each later one reads only what was written
since, and the monitor keeps the latest state of the executions that hold a lock, nothing
more. Before, every scan (once a minute) read and decoded the whole topic again and kept every
execution's state: a 30-minute soak (10,000 executions and their children, four per-second
cron flows) took the scheduler from 125 to 240 MiB.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

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
        # The latest state of each execution holding a lock (None: tombstoned), as of _positions.
        self._present: dict[str, State | None] = {}
        self._positions: dict[int, int] = {}
        self.stop_event = threading.Event()
        self.stale: list[StaleLock] = []

    def run(self) -> None:
        """Scan until stopped."""
        try:
            while not self.stop_event.wait(self._interval):
                try:
                    self.scan()
                except KafkaException as exc:
                    # A broker away for a while: the next scan reads on from where this stopped.
                    logger.warning("lock scan of %s failed: %s", self._topic, exc)
        finally:
            self._consumer.close()

    def scan(self) -> list[StaleLock]:
        """One pass: read the topic to its end, compare with the current locks, report new ones."""
        scanned_at = self._clock.now()
        seen = self._read_new()
        locks = self._locks()
        # Taken after the read: a lock is taken before its execution is created, so the states
        # of every lock listed here were read by now or in an earlier scan.
        locked = {lock.execution_id for lock in locks}
        self._present = {key: state for key, state in {**self._present, **seen}.items() if key in locked}
        present = {key: state for key, state in self._present.items() if state is not None}
        found = find_stale_locks(locks, present, scanned_at, self._grace)
        for lock in found:
            if (lock.uid, lock.execution_id) not in self._reported:
                self._reported.add((lock.uid, lock.execution_id))
                self._on_stale(lock)
        self.stale = found
        return found

    def _end_offset(self, partition: int, timeout_s: float = 60.0) -> int:
        # A partition that has just been created or has just moved has no leader for a moment.
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return int(self._consumer.get_watermark_offsets(TopicPartition(self._topic, partition), timeout=10)[1])
            except KafkaException:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def _read_new(self) -> dict[str, State | None]:
        """The latest state of each execution written since the last scan (None: tombstoned)."""
        metadata = self._consumer.list_topics(self._topic, timeout=30)
        partitions = list(metadata.topics[self._topic].partitions)
        assigned = [TopicPartition(self._topic, q, self._positions.get(q, OFFSET_BEGINNING)) for q in partitions]
        ends = {q: self._end_offset(q) for q in partitions}
        self._consumer.assign(assigned)
        seen: dict[str, State | None] = {}
        pending = {q for q in partitions if self._positions.get(q, 0) < ends[q]}
        deadline = time.monotonic() + 300
        try:
            while pending and time.monotonic() < deadline:
                messages = self._consumer.consume(num_messages=5000, timeout=0.5)
                for message in messages:
                    if message.error() is not None:
                        continue  # end-of-partition events and the like: the positions tell the end
                    key = (message.key() or b"").decode("utf-8", "replace")
                    if message.value() is None:
                        seen[key] = None
                        continue
                    try:
                        seen[key] = read_execution(message.value()).state
                    except Exception:  # noqa: BLE001 - an unreadable snapshot still proves presence
                        seen[key] = State.RUNNING
                # A transaction's commit marker takes the last offset and is never delivered:
                # the consumer's position, not the last message, says where the reading is.
                for tp in self._consumer.position([TopicPartition(self._topic, q) for q in pending]):
                    if tp.offset >= 0:
                        self._positions[tp.partition] = tp.offset
                        if tp.offset >= ends[tp.partition]:
                            pending.discard(tp.partition)
        finally:
            self._consumer.unassign()
        return seen
