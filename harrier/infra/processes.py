"""Pid files, port probes and readiness waits shared by the Kafka and Elasticsearch nodes."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from harrier.infra.exceptions import InfraError

__all__ = ["read_pid", "write_pid", "is_alive", "port_open", "wait_until", "stop_pid"]


def write_pid(pid_file: Path, pid: int) -> None:
    """Record `pid` with its process start time, so a later reader can tell it from a reuse."""
    pid_file.write_text(f"{pid} {psutil.Process(pid).create_time():.3f}")


def read_pid(pid_file: Path) -> int | None:
    """Return the pid recorded in `pid_file` if that very process is still alive.

    Pids wrap quickly on a busy machine (pid_max is often 32768): a node killed without its
    pid file being removed leaves a number that another process may own later, and
    stopping "it" would kill that process. The recorded start time tells them apart."""
    try:
        pid_text, _, started = pid_file.read_text().strip().partition(" ")
        pid = int(pid_text)
        recorded = float(started)
    except (FileNotFoundError, ValueError):
        return None
    try:
        if abs(psutil.Process(pid).create_time() - recorded) > 0.01:
            return None
    except psutil.NoSuchProcess:
        return None
    return pid if is_alive(pid) else None


def is_alive(pid: int) -> bool:
    """True if a process with this pid exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def port_open(host: str, port: int) -> bool:
    """True if something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    """Poll `check` until it holds; on timeout raise with the last log line as the reason."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    hint = f" (see {log})" if log else ""
    raise InfraError(f"{what} not ready after {timeout:.0f}s{hint}")


def stop_pid(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM the process group led by `pid`, then SIGKILL it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not is_alive(pid):
                return
            time.sleep(0.2)
