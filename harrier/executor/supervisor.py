"""The supervisor: starts ``stream-threads`` stream processes, restarts them, stops them.

Stream processes are OS processes so the executor uses every CPU despite the GIL. They are
forked by multiprocessing's fork server, which imports the stream process's modules once: a
restarted process (after an aborted transaction or a kill) skips a fresh interpreter's
imports (about 1 s from fork to its clients running in the chaos runs, against 6 to 18 s
with spawn on the same busy box), and nothing forked inherits the supervisor's threads or
Kafka clients. Process ``i`` always gets index ``i`` and therefore the same
``transactional.id``: a restarted process fences its predecessor's open transaction.

- A process that exits while the supervisor runs is restarted after ``restart_delay_s``,
  whatever its exit code (crash, kill -9, fenced), except ``EXIT_CONFIG``: a configuration
  that cannot run stops the whole executor.
- ``stop`` sends SIGTERM to every process, waits for them to commit and leave the group,
  and kills what is still alive after ``stop_timeout_s``.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

from harrier import processlog
from harrier.executor.copartitioning import check_co_partitioning
from harrier.executor.exceptions import CoPartitioningError
from harrier.executor.runtime import RuntimeConfig
from harrier.executor.stream_process import EXIT_CONFIG, ProcessorFactory, run_stream_process
from harrier.topics.clients import create_admin

__all__ = ["Supervisor"]

logger = logging.getLogger("harrier.executor")

# What every stream process imports, loaded once by the fork server.
_PRELOAD = ["harrier.executor.stream_process", "harrier.executor.processor"]


class Supervisor:
    """Owns the stream processes of one executor instance."""

    def __init__(
        self,
        config: RuntimeConfig,
        factory: ProcessorFactory,
        processes: int | None = None,
        restart_delay_s: float = 1.0,
        stop_timeout_s: float = 30.0,
    ) -> None:
        self.config = config
        self._factory = factory
        self.size = processes or config.settings.executor.effective_stream_threads()
        self._restart_delay_s = restart_delay_s
        self._stop_timeout_s = stop_timeout_s
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._children: dict[int, BaseProcess] = {}
        self._restart_at: dict[int, float] = {}
        self._stopping = threading.Event()
        self.restarts = 0
        # (index, exit code) of every process that exited while the supervisor ran.
        self.exits: list[tuple[int, int | None]] = []

    def start(self) -> None:
        """Check co-partitioning, then start every stream process."""
        check_co_partitioning(create_admin(self.config.settings), self.config)
        for index in range(self.size):
            self._spawn(index)

    def pids(self) -> dict[int, int]:
        """Process id of every live stream process, by index (safe from any thread)."""
        # A copy: the probe thread calls this while the supervisor thread spawns.
        return {
            index: child.pid
            for index, child in list(self._children.items())
            if child.pid is not None and child.is_alive()
        }

    def exit_codes(self) -> dict[int, int | None]:
        """Exit code of the latest process of every index (None while it runs)."""
        return {index: child.exitcode for index, child in self._children.items()}

    def watch(self) -> None:
        """Restart the processes that exited; ``CoPartitioningError`` if one cannot run."""
        now = time.monotonic()
        for index, child in list(self._children.items()):
            if child.is_alive() or self._stopping.is_set():
                continue
            if child.exitcode == EXIT_CONFIG:
                raise CoPartitioningError(f"stream process {index} cannot run (see its log)")
            if index not in self._restart_at:
                logger.warning("stream process %d exited with %s", index, child.exitcode)
                self.exits.append((index, child.exitcode))
                self._restart_at[index] = now + self._restart_delay_s
            elif now >= self._restart_at[index]:
                del self._restart_at[index]
                self.restarts += 1
                self._spawn(index)

    def run(self) -> int:
        """Start, watch until SIGTERM/SIGINT (or ``request_stop``), stop; the exit code."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        try:
            self.start()
            while not self._stopping.wait(0.2):
                self.watch()
        except CoPartitioningError as exc:
            logger.error("executor refuses to run: %s", exc)
            self.stop()
            return EXIT_CONFIG
        self.stop()
        return 0

    def request_stop(self) -> None:
        """Make ``run`` stop the processes and return."""
        self._stopping.set()

    def stop(self) -> None:
        """SIGTERM every process, wait for them, kill the stragglers."""
        self._stopping.set()
        for child in self._children.values():
            if child.is_alive():
                child.terminate()
        deadline = time.monotonic() + self._stop_timeout_s
        for index, child in self._children.items():
            child.join(max(deadline - time.monotonic(), 0.0))
            if child.is_alive():
                logger.error("stream process %d did not stop in time, killing it", index)
                child.kill()
                child.join()

    def _spawn(self, index: int) -> None:
        child = self._context.Process(
            target=_child_main,
            args=(self.config, self._factory, index),
            name=f"stream-{index}",
            daemon=False,
        )
        child.start()
        self._children[index] = child
        logger.info("stream process %d started as pid %s", index, child.pid)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping.set()


def _child_main(config: RuntimeConfig, factory: ProcessorFactory, index: int) -> None:
    processlog.configure(process_name=True)
    _name_process(f"{config.application_id.removeprefix('executor-')}-{index}")
    sys.exit(run_stream_process(config, factory, index))


def _name_process(name: str) -> None:
    """Show ``name`` (at most 15 bytes) for this process in ps and top, so an operator (or a
    fault test) can tell stream processes from admissions processes; best effort, Linux only."""
    try:
        Path("/proc/self/comm").write_text(name[:15])
    except OSError:
        pass
