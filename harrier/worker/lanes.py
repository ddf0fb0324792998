"""The two lanes tasks run in: a thread pool for plain functions, an asyncio loop for coroutines.

Each lane has its own capacity, so thousands of sleeping or waiting coroutines never take a
thread, and a burst of blocking tasks never starves them. `busy` is owned by the worker's
loop thread: incremented on submit, decremented when the loop takes the completion.
"""

from __future__ import annotations

import abc
import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from harrier.worker.attempts import Attempt, run_async, run_blocking

__all__ = ["AsyncLane", "Lane", "ThreadLane"]

DoneCallback = Callable[[Attempt, "Future[Any]"], None]


class Lane(abc.ABC):
    """What both lanes share: a name, a capacity and a count of busy slots."""

    name = "lane"

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.busy = 0

    @property
    def free(self) -> int:
        """Slots left."""
        return self.capacity - self.busy

    @abc.abstractmethod
    def submit(self, attempt: Attempt, on_done: DoneCallback) -> None:
        """Start `attempt`; `on_done(attempt, future)` is called from the lane when it ends.

        The future may be a concurrent or an asyncio one: the loop only calls `cancelled()`
        and `result()` on it once it is done.
        """

    @abc.abstractmethod
    def cancel(self, attempt: Attempt) -> None:
        """Stop `attempt` as soon as possible (its result, if any, will be ignored)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop accepting work and let running work go."""


class ThreadLane(Lane):
    """Plain-function tasks, one pool thread each."""

    name = "threads"

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self._pool = ThreadPoolExecutor(max_workers=capacity, thread_name_prefix="harrier-task")

    def submit(self, attempt: Attempt, on_done: DoneCallback) -> None:
        self.busy += 1
        future = self._pool.submit(run_blocking, attempt)
        attempt.handle = future
        future.add_done_callback(lambda done: on_done(attempt, done))

    def cancel(self, attempt: Attempt) -> None:
        # A thread cannot be interrupted: the run context kills its subprocesses and tells the
        # task to stop; a task that is not yet running is simply dropped.
        if attempt.context is not None:
            attempt.context.cancel()
        if attempt.handle is not None:
            attempt.handle.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class AsyncLane(Lane):
    """Coroutine tasks on one event loop running in its own thread.

    Submissions are handed over in batches: one wake-up of the loop per batch rather than
    one `run_coroutine_threadsafe` per task, which matters at thousands of tasks a second.
    """

    name = "async"

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.loop = asyncio.new_event_loop()
        self._incoming: list[tuple[Attempt, DoneCallback]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="harrier-async-lane", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, attempt: Attempt, on_done: DoneCallback) -> None:
        self.busy += 1
        with self._lock:
            self._incoming.append((attempt, on_done))
            first = len(self._incoming) == 1
        if first:
            self.loop.call_soon_threadsafe(self._start_incoming)

    def _start_incoming(self) -> None:
        with self._lock:
            incoming, self._incoming = self._incoming, []
        for attempt, on_done in incoming:
            task = self.loop.create_task(run_async(attempt))
            attempt.handle = task  # type: ignore[assignment]
            task.add_done_callback(lambda done, attempt=attempt, on_done=on_done: on_done(attempt, done))
            if attempt.context is not None and attempt.context.cancelled:
                task.cancel()

    def cancel(self, attempt: Attempt) -> None:
        if attempt.context is not None:
            attempt.context.cancel()
        # asyncio tasks are not thread-safe: cancel from the loop's own thread.
        self.loop.call_soon_threadsafe(self._cancel, attempt)

    @staticmethod
    def _cancel(attempt: Attempt) -> None:
        if attempt.handle is not None:
            attempt.handle.cancel()

    def close(self) -> None:
        if self.loop.is_closed():
            return

        async def cancel_all() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(timeout=5)
        except Exception:  # noqa: BLE001 - closing is best effort; the loop stops below regardless
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self.loop.close()
