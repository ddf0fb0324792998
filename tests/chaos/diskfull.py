"""A small disk for a chaos run's own broker: its log dir on a tmpfs the run mounts, fills and frees.

Root only (``mount -t tmpfs``). ``mounted`` is a context manager so that a run that fails,
wherever it fails, leaves nothing mounted; a mount left by a killed harness is taken down
before the next run mounts its own.
"""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harrier.infra.kafka import KafkaCluster

__all__ = ["SmallDisk", "mounted"]

_FILLER = "chaos-filler"
_MIB = 1 << 20


class SmallDisk:
    """A tmpfs at ``path``, filled up by a file of its own and freed again."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def fill(self) -> int:
        """Take every free byte (the broker writes meanwhile: chunk by chunk until none is
        left); how many there were."""
        free = self.free_bytes()
        with open(self.path / _FILLER, "wb") as filler:
            size = 0
            for chunk in (_MIB, 4096):
                try:
                    while True:
                        os.posix_fallocate(filler.fileno(), size, chunk)
                        size += chunk
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
        return free

    def free(self) -> None:
        (self.path / _FILLER).unlink(missing_ok=True)

    def wait_broker_gone(self, kafka: KafkaCluster, timeout_s: float) -> float | None:
        """Seconds until the broker's process exited, or None if it still ran after ``timeout_s``."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if not kafka.running_pids():
                return time.monotonic() - started
            time.sleep(0.2)
        return None


@contextmanager
def mounted(path: Path, mib: int) -> Iterator[SmallDisk]:
    """A fresh tmpfs of ``mib`` MiB at ``path`` for the duration; unmounted however it ends."""
    path.mkdir(parents=True, exist_ok=True)
    _unmount(path)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mib}m", "tmpfs", str(path)], check=True,
                   capture_output=True)
    try:
        yield SmallDisk(path)
    finally:
        _unmount(path)


def _unmount(path: Path) -> None:
    if os.path.ismount(path):
        # Lazy: a broker killed a moment ago may still hold files open.
        subprocess.run(["umount", "-l", str(path)], check=True, capture_output=True)
