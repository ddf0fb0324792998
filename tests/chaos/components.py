"""Harrier's components as real processes: ``harrier server <component> --config FILE``.

Each process writes its output to ``<logs>/<name>.log``. The executor's stream processes are
its children (named ``executor-<i>`` and ``admissions-0`` by the supervisor), so a fault can
SIGKILL one stream process and leave its supervisor to restart it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

__all__ = ["Component", "Components"]

_ROOT = Path(__file__).resolve().parents[2]


class Component:
    """One ``harrier server`` process, restartable under the same name."""

    def __init__(self, kind: str, name: str, config: Path, logs: Path, env: dict[str, str]) -> None:
        self.kind = kind
        self.name = name
        self._config = config
        self._log_path = logs / f"{name}.log"
        self._env = env
        self.process: subprocess.Popen[bytes] | None = None
        # Set when the harness signals or stops the process, so its exit is not a crash.
        self.exit_expected = False

    def start(self) -> None:
        """Start the process (again)."""
        log = open(self._log_path, "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harrier.cli.main", "server", self.kind, "--no-ensure-topics",
             "--config", str(self._config)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=_ROOT,
            env={**os.environ, **self._env},
        )
        log.close()
        self.exit_expected = False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process itself (not its children)."""
        if self.alive():
            assert self.process is not None
            self.exit_expected = True
            self.process.send_signal(signum)

    def wait(self, timeout_s: float) -> int | None:
        """Wait for the process to exit; its exit code, or None if it still runs."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL (with its children) if it has not exited in time."""
        if not self.alive():
            return self.process.returncode if self.process is not None else None
        self.signal(signal.SIGTERM)
        code = self.wait(timeout_s)
        if code is None:
            self.kill_tree()
            code = self.wait(10)
        return code

    def kill_tree(self) -> None:
        """SIGKILL the process and every descendant."""
        if self.process is None:
            return
        try:
            parent = psutil.Process(self.process.pid)
            victims = [*parent.children(recursive=True), parent]
        except psutil.NoSuchProcess:
            return
        for victim in victims:
            try:
                victim.kill()
            except psutil.NoSuchProcess:
                pass

    def child_pids(self, name_prefix: str) -> list[int]:
        """Pids of live descendants whose process name starts with ``name_prefix``."""
        if not self.alive():
            return []
        assert self.process is not None
        found = []
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if child.name().startswith(name_prefix) and child.status() != psutil.STATUS_ZOMBIE:
                    found.append(child.pid)
            except psutil.NoSuchProcess:
                continue
        return sorted(found)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self._log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""


class Components:
    """The set of processes one chaos run starts, by name."""

    def __init__(self, config: Path, logs: Path, env: dict[str, str]) -> None:
        self._config = config
        self._logs = logs
        self._env = env
        self.by_name: dict[str, Component] = {}

    def start(self, kind: str, name: str | None = None) -> Component:
        """Start a new component process of ``kind``."""
        component = Component(kind, name or kind, self._config, self._logs, self._env)
        self.by_name[component.name] = component
        component.start()
        return component

    def __getitem__(self, name: str) -> Component:
        return self.by_name[name]

    def kill_stream_process(self, executor: str = "executor") -> int:
        """SIGKILL one live stream process of ``executor``; its pid."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pids = self.by_name[executor].child_pids("executor-")
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                return pids[0]
            time.sleep(0.2)
        raise RuntimeError(f"{executor} has no live stream process to kill")

    def crashed(self) -> list[str]:
        """Names of components that exited without being told to."""
        return [
            name for name, c in self.by_name.items()
            if c.process is not None and c.process.poll() is not None and not c.exit_expected
        ]

    def stop_all(self) -> None:
        """SIGTERM every component at once, then wait for each (SIGKILL if it lingers)."""
        for component in self.by_name.values():
            component.signal(signal.SIGTERM)
        for component in self.by_name.values():
            component.stop()
