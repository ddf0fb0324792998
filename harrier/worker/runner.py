"""The worker: take `worker-tasks`, run them in their lane, send `worker-results`.

The loop, one thread, in phases::

    while running: take records -> read kills -> take completions -> start waiting tasks
                   -> expire timeouts -> ship logs and metrics -> maybe commit -> back-pressure

Liveness is consumer-group membership: when a worker dies its partitions move to a live
one, which resumes from the committed offsets. Offsets are committed only past tasks whose
result was acknowledged (`intake.py`, `watermark.py`), so a crash redelivers exactly what was
unfinished; the executor drops duplicate results.

Lifecycle::

    CREATED -> RUNNING -> STOPPING (no new work; running tasks finish or are released) -> STOPPED
"""

from __future__ import annotations

import enum
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from confluent_kafka import Message

from harrier.config.settings import Settings
from harrier.core import sealing
from harrier.core.durations import format_duration
from harrier.core.expressions import set_file_storage
from harrier.core.kv import configure_store
from harrier.core.messages import WorkerResult
from harrier.core.registry import Registry, default_registry
from harrier.core.states import State
from harrier.kv.store import TopicKVStore
from harrier.storage.base import Storage
from harrier.storage.factory import storage_from_settings
from harrier.topics.clients import create_consumer, create_producer
from harrier.topics.exceptions import DecodeError
from harrier.topics.records import WORKER_TASK
from harrier.worker.attempts import Attempt, Source, build_result, salvage_result
from harrier.worker.context import RunContext
from harrier.worker.controls import ControlReader, RecentKills
from harrier.worker.exceptions import TaskNotRunnable, WorkerStateError
from harrier.worker.intake import Intake, PartitionKey
from harrier.worker.lanes import AsyncLane, Lane, ThreadLane
from harrier.worker.logs import FileLog, TaskLogger
from harrier.worker.metrics import TaskMetrics
from harrier.worker.outbox import Outbox, Topics
from harrier.worker.preparation import prepare, requested_log_level
from harrier.worker.workdirs import WorkDirs, script_user

__all__ = ["Worker", "WorkerState", "WorkerStats"]

logger = logging.getLogger("harrier.worker")

TELEMETRY_INTERVAL_S = 0.1
MAX_FETCH = 500


class WorkerState(enum.Enum):
    """Where a worker is in its life; see the module docstring."""

    CREATED = "CREATED"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"


@dataclass(slots=True)
class WorkerStats:
    """Counts since start, for logs, tests and benchmarks."""

    received: int = 0
    succeeded: int = 0
    failed: int = 0
    killed: int = 0
    timed_out: int = 0
    dead_lettered: int = 0
    released: int = 0
    peak_running: int = 0


class Worker:
    """One worker process's runner; `run()` blocks until `stop()` (any thread, signal-safe)."""

    def __init__(
        self,
        settings: Settings,
        *,
        storage: Storage | None = None,
        registry: Registry | None = None,
        group_id: str | None = None,
        client_id: str = "harrier-worker",
        shutdown_grace_s: float = 30.0,
        max_waiting: int = 500,
        pause_after_s: float = 1.0,
    ) -> None:
        self.settings = settings
        sealing.configure(settings.encryption.secret_key)
        self.topics = Topics(settings.topics.prefix)
        self.storage = storage or storage_from_settings(settings)
        set_file_storage(self.storage)
        # Opened on first use: kv tasks and kv() in the properties rendered here.
        self.kv = TopicKVStore(settings, client_id)
        configure_store(self.kv)
        # ValueError (an account that does not exist) stops the worker before it takes work.
        self.workdirs = WorkDirs(script_user(settings.worker.script_user))
        self.registry = registry or default_registry()
        self.group_id = group_id or f"{settings.topics.prefix}worker"
        self.client_id = client_id
        self.shutdown_grace_s = shutdown_grace_s
        self.max_waiting = max_waiting
        self.pause_after_s = pause_after_s
        self.stats = WorkerStats()
        self.state = WorkerState.CREATED
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._wakeup = threading.Event()
        self._kills = RecentKills()
        self._active: dict[str, Attempt] = {}
        self._completions: deque[tuple[Attempt, Any]] = deque()
        self._deadlines: list[tuple[float, int, Attempt]] = []
        self._sequence = itertools.count()
        self._last_telemetry = 0.0

    # -- lifecycle -------------------------------------------------------------------------

    def run(self) -> None:
        """Open the clients and run the loop until `stop()`; then drain and close."""
        if self.state is not WorkerState.CREATED:
            raise WorkerStateError(f"a worker runs once; this one is {self.state.value}")
        self._open()
        try:
            self.state = WorkerState.RUNNING
            self.ready.set()
            while not self._stop.is_set():
                self._step()
            self.state = WorkerState.STOPPING
            self._drain()
        finally:
            self._close()
            self.state = WorkerState.STOPPED

    def stop(self) -> None:
        """Stop taking work; running tasks get `shutdown_grace_s` to finish, then are released."""
        self._stop.set()

    @property
    def running(self) -> int:
        """Tasks currently in a lane."""
        return self._threads.busy + self._async.busy if self.state is not WorkerState.CREATED else 0

    @property
    def assigned(self) -> int:
        """`worker-tasks` partitions this worker holds."""
        return len(self._intake.assigned) if self.state is not WorkerState.CREATED else 0

    @property
    def pauses(self) -> int:
        """How many times back-pressure paused the partitions."""
        return self._intake.pauses if self.state is not WorkerState.CREATED else 0

    def _open(self) -> None:
        worker = self.settings.worker
        self._threads: Lane = ThreadLane(worker.effective_threads())
        self._async: Lane = AsyncLane(worker.async_concurrency)
        self._waiting: dict[Lane, deque[Attempt]] = {self._threads: deque(), self._async: deque()}
        self._outbox = Outbox(create_producer(self.settings, client_id=self.client_id), self.topics)
        self._intake = Intake(
            self.settings, topic=self.topics.tasks, group_id=self.group_id, client_id=self.client_id,
            on_gone=self._partitions_gone, before_revoke=lambda: self._outbox.flush(5),
            max_waiting=self.max_waiting, pause_after_s=self.pause_after_s,
        )
        topics = self.topics
        self._intake.check_topics([topics.tasks, topics.results, topics.controls, topics.logs, topics.metrics, topics.dead_letters])
        self._intake.subscribe()
        control_consumer = create_consumer(self.settings, None, client_id=f"{self.client_id}-controls")
        self._controls = ControlReader(control_consumer, topics.controls, self._reject)
        logger.info("worker started: %d threads, %d async slots, group %s", self._threads.capacity, self._async.capacity, self.group_id)

    def _drain(self) -> None:
        self._intake.pause(True)
        for waiting in self._waiting.values():
            for attempt in waiting:
                self._release(attempt)
            waiting.clear()
        deadline = time.monotonic() + self.shutdown_grace_s
        while self._active and time.monotonic() < deadline:
            self._step(fetch=False)
        for attempt in list(self._active.values()):
            self._release(attempt)
        self._outbox.flush(10)
        self._intake.commit(force=True)

    def _close(self) -> None:
        for closing in (self._intake.close, self._controls.close, self._threads.close, self._async.close, self.kv.close):
            try:
                closing()
            except Exception:  # noqa: BLE001 - close everything even when one part fails
                logger.exception("error while closing the worker")
        self._outbox.flush(10)
        logger.info("worker stopped: %s", self.stats)

    # -- the loop --------------------------------------------------------------------------

    def _step(self, fetch: bool = True) -> None:
        if fetch:
            self._take_records()
        else:
            # Paused: this only serves the group protocol. A record from a partition assigned
            # meanwhile is left uncommitted, so it is redelivered to the next owner.
            self._intake.poll(0.01)
        for control in self._controls.poll():
            self._kill(control.task_run_id)
        self._take_completions()
        self._start_waiting()
        self._expire()
        now = time.monotonic()
        if now - self._last_telemetry >= TELEMETRY_INTERVAL_S:
            self._outbox.flush_telemetry()
            self._last_telemetry = now
        self._outbox.poll()
        self._intake.commit()
        if fetch:
            self._intake.apply_back_pressure(self._waiting_count())

    def _take_records(self) -> None:
        if self._intake.full(self._waiting_count()):
            # Let the lanes drain rather than fetch; the intake pauses if this lasts.
            self._sleep_until_a_task_ends()
            return
        # poll() returns as soon as one record is there; consume(n) would wait for n of them.
        message = self._intake.poll(self._wait_s())
        taken = 0
        while message is not None:
            self._accept(message)
            taken += 1
            if taken >= MAX_FETCH or self._intake.paused or self._intake.full(self._waiting_count()):
                break
            message = self._intake.poll(0)

    def _wait_s(self) -> float:
        """How long the next poll may block: not at all when there is work to hand out."""
        if self._completions:
            return 0.0
        if self._intake.paused or self._waiting_count():
            self._sleep_until_a_task_ends()
            return 0.0
        return 0.001 if self._active else 0.05

    def _sleep_until_a_task_ends(self) -> None:
        self._wakeup.wait(0.005)
        self._wakeup.clear()

    def _waiting_count(self) -> int:
        return sum(len(waiting) for waiting in self._waiting.values())

    def _accept(self, message: Message) -> None:
        if message.error() is not None:
            logger.warning("worker-tasks: %s", message.error())
            return
        source = (message.topic(), message.partition(), message.offset())
        if not self._intake.marks.start(*source):
            return
        self.stats.received += 1
        try:
            record = WORKER_TASK.decode(message.value())
        except DecodeError as exc:
            self._reject(message, exc, source)
            return
        attempt = Attempt(record, [source])
        try:
            self._admit(attempt)
        except Exception as exc:  # noqa: BLE001 - a record must never stop the worker
            logger.exception("cannot run task run %s", record.task_run_id)
            if self._active.get(record.task_run_id) is attempt:
                del self._active[record.task_run_id]
            self._reject(message, exc, source)

    def _admit(self, attempt: Attempt) -> None:
        record = attempt.record
        running = self._active.get(record.task_run_id)
        if running is not None and running.record.attempt == record.attempt:
            # Delivered again while it runs here (a rebalance gave the partition back).
            running.sources.extend(attempt.sources)
            return
        self._active[record.task_run_id] = attempt
        if record.task_run_id in self._kills:
            self._end_now(attempt, State.KILLED, f"{attempt.label} was killed")
            return
        try:
            attempt.prepared = prepare(record, self.registry)
        except TaskNotRunnable as exc:
            self._end_now(attempt, State.FAILED, f"{attempt.label}: {exc}")
            return
        lane = self._async if attempt.prepared.is_async else self._threads
        attempt.lane = lane
        if lane.free > 0 and not self._waiting[lane]:
            self._launch(attempt)
        else:
            self._waiting[lane].append(attempt)

    def _launch(self, attempt: Attempt) -> None:
        record, prepared = attempt.record, attempt.prepared
        assert prepared is not None
        write = self._outbox.logs.add
        if prepared.task.log_to_file:
            attempt.file_log = FileLog()
            write = attempt.file_log.write
        task_logger = TaskLogger(record, requested_log_level(record.task), write)
        attempt.context = RunContext(
            record, task_logger, TaskMetrics(record, self._outbox.metrics.add), self.storage, self.workdirs, self.kv
        )
        attempt.started_at = datetime.now(timezone.utc)
        if prepared.timeout is not None:
            attempt.deadline = time.monotonic() + prepared.timeout.total_seconds()
            heapq.heappush(self._deadlines, (attempt.deadline, next(self._sequence), attempt))
        attempt.lane.submit(attempt, self._completed)
        self.stats.peak_running = max(self.stats.peak_running, self.running)

    def _completed(self, attempt: Attempt, future: Any) -> None:
        # Called from a lane's thread: hand over to the loop (deque appends are thread-safe).
        self._completions.append((attempt, future))
        self._wakeup.set()

    def _take_completions(self) -> None:
        while self._completions:
            attempt, future = self._completions.popleft()
            attempt.lane.busy -= 1
            if future.cancelled():
                _discard(attempt)
                continue
            if attempt.ended:
                continue
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - the lane wrappers return results; this is a last guard
                message = f"{attempt.label}: {type(exc).__name__}: {exc}"
                self._log_error(attempt, message)
                result = build_result(attempt, State.FAILED, error=message)
            self._finish(attempt, result)

    def _start_waiting(self) -> None:
        for lane, waiting in self._waiting.items():
            while waiting and lane.free > 0:
                attempt = waiting.popleft()
                if not attempt.ended:
                    self._launch(attempt)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, _, attempt = heapq.heappop(self._deadlines)
            if not attempt.ended and attempt.prepared is not None and attempt.prepared.timeout is not None:
                self.stats.timed_out += 1
                timeout = format_duration(attempt.prepared.timeout)
                self._end_now(attempt, State.FAILED, f"{attempt.label}: timed out after {timeout}")

    def _kill(self, task_run_id: str) -> None:
        self._kills.add(task_run_id)
        attempt = self._active.get(task_run_id)
        if attempt is not None and not attempt.ended:
            self._end_now(attempt, State.KILLED, f"{attempt.label} was killed")

    def _end_now(self, attempt: Attempt, state: State, message: str) -> None:
        """End an attempt from the loop (kill, timeout, unrunnable); a lane's late result is ignored."""
        if attempt.started_at is not None:
            attempt.lane.cancel(attempt)
        elif attempt.lane is not None and attempt in self._waiting[attempt.lane]:
            self._waiting[attempt.lane].remove(attempt)
        self._log_error(attempt, message)
        self._finish(attempt, build_result(attempt, state, error=message))

    def _log_error(self, attempt: Attempt, message: str) -> None:
        # The executor does not repeat a worker's error: every error reported is logged here.
        record = attempt.record
        TaskLogger(record, requested_log_level(record.task), self._outbox.logs.add).error(message)

    def _finish(self, attempt: Attempt, result: WorkerResult) -> None:
        attempt.result = result
        if result.state is State.KILLED:
            self.stats.killed += 1
        elif result.state is State.FAILED:
            self.stats.failed += 1
        else:
            self.stats.succeeded += 1
        if self._active.get(attempt.record.task_run_id) is attempt:
            del self._active[attempt.record.task_run_id]
        # Logs first, so an execution's log lines are on the broker before its result.
        self._outbox.flush_telemetry()
        self._outbox.send_result(result, lambda: self._delivered(attempt.sources))

    def _delivered(self, sources: list[Source]) -> None:
        for source in sources:
            self._intake.marks.finish(*source)

    def _release(self, attempt: Attempt) -> None:
        """Give an attempt back unfinished: no result, offset not committed, so it is redelivered."""
        if attempt.ended:
            return
        if attempt.started_at is not None:
            attempt.lane.cancel(attempt)
        attempt.released = True
        self._active.pop(attempt.record.task_run_id, None)
        self.stats.released += 1

    def _reject(self, message: Message, error: BaseException, source: Source | None = None) -> None:
        """Dead-letter an unusable record; answer with a FAILED result when its task run is known."""
        self.stats.dead_lettered += 1
        self._outbox.dead_letter(message, error, lambda: self._delivered([source] if source else []))
        salvaged = salvage_result(message.value(), error) if message.topic() == self.topics.tasks else None
        if salvaged is not None:
            self.stats.failed += 1
            self._outbox.send_result(salvaged, lambda: None)

    def _partitions_gone(self, gone: set[PartitionKey]) -> None:
        """Revoked or lost partitions: their waiting records go back to the next owner."""
        for waiting in self._waiting.values():
            for attempt in [a for a in waiting if a.sources[0][:2] in gone]:
                waiting.remove(attempt)
                self._release(attempt)


def _discard(attempt: Attempt) -> None:
    """Clean up an attempt whose lane job was cancelled before it ran."""
    if attempt.file_log is not None:
        attempt.file_log.discard()
    if attempt.context is not None:
        attempt.context.close()
