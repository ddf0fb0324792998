"""`harrier server standalone` started by the harness for Harrier's turn, and stopped after it.

The easy way (`--start-harrier`) leaves the webserver and the indexer out and uses the
configured topics. `--full` runs every component on names of its own: a topic prefix, an
index prefix and consumer groups (they follow the topic prefix) unique to the run, a free
webserver port, and no probe servers (their fixed ports may be taken by another standalone on
the box), so nothing another Harrier on this broker runs is touched; the topics and indices
are deleted when it stops.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from benchmarks.harness.exceptions import HarnessError, TargetUnavailable
from harrier.config.exceptions import ConfigError
from harrier.config.loader import load_settings
from harrier.config.settings import Settings
from harrier.topics.specs import topic_name

__all__ = ["Standalone", "free_port", "full_overrides", "stop_group"]

_COMPONENTS = ("executor", "worker", "scheduler", "indexer")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def full_overrides(run_id: str, port: int) -> dict[str, object]:
    """The settings `--full` lays over the user's: its own names, its own port, no probes."""
    overrides: dict[str, object] = {
        "topics": {"prefix": f"bench-{run_id}."},
        "elasticsearch": {"index-prefix": f"bench-{run_id}-"},
        "webserver": {"host": "127.0.0.1", "port": port},
    }
    overrides.update({name: {"probe-port": 0} for name in _COMPONENTS})
    return overrides


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (the supervisor and its components), SIGKILL it if it lingers."""
    for sig, wait_s in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Standalone:
    """One supervised standalone: `full` for every component on names of its own."""

    config: list[str]
    full: bool = False
    log_path: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "harrier-bench-standalone.log")
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _overrides_file: Path | None = None

    @property
    def config_files(self) -> list[str]:
        """The settings files the components (and the harness, for the same names) read."""
        return [*self.config, *([str(self._overrides_file)] if self._overrides_file else [])]

    @property
    def url(self) -> str:
        """The webserver's base URL (`full` only)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Settings:
        """The settings the components read (so the harness uses the same topics and indices)."""
        try:
            return load_settings(self.config_files)
        except ConfigError as exc:
            raise HarnessError(f"harrier settings: {exc}") from None

    def topic(self, logical: str) -> str:
        """The name of a logical topic (`execution-states`) for this standalone."""
        return topic_name(self.settings, logical)

    def start(self) -> int:
        """Start the supervisor in a process group of its own (its log goes to `log_path`); its pid."""
        if self.full:
            self.port = self.port or free_port()
            self._overrides_file = Path(tempfile.gettempdir()) / f"harrier-bench-{self.run_id}.yml"
            self._overrides_file.write_text(yaml.safe_dump(full_overrides(self.run_id, self.port)))
        without = [] if self.full else ["--without", "webserver", "--without", "indexer"]
        config = [arg for path in self.config_files for arg in ("--config", path)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "harrier.cli.main", "server", "standalone", *config, *without],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return self.process.pid

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Until the webserver's /ready answers 200 (`full`); the log's tail if the supervisor exits first."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise TargetUnavailable(f"harrier standalone exited: {self._log_tail()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TargetUnavailable(f"harrier webserver at {self.url} not ready after {timeout_s:g}s")

    def stop(self) -> None:
        """Stop every component; `full`: delete the run's topics and indices."""
        if self.process is not None:
            stop_group(self.process)
        if not self.full:
            return
        settings = self.settings
        _delete_topics(settings.kafka.bootstrap_servers, settings.topics.prefix)
        _delete_indices(settings.elasticsearch.hosts[0], settings.elasticsearch.index_prefix)
        if self._overrides_file is not None:
            self._overrides_file.unlink(missing_ok=True)

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-lines:])
        except OSError:
            return f"(no log at {self.log_path})"


def _delete_topics(bootstrap: str, prefix: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    for future in (admin.delete_topics(names).values() if names else ()):
        try:
            future.result(30)
        except Exception:  # noqa: BLE001, S110 - clean-up is best effort: a topic left is only clutter
            pass


def _delete_indices(url: str, prefix: str) -> None:
    try:
        listed = httpx.get(f"{url}/_cat/indices/{prefix}*", params={"h": "index", "format": "json"}, timeout=10)
        names = [row["index"] for row in listed.json()] if listed.status_code == 200 else []
        if names:
            httpx.delete(f"{url}/{','.join(names)}", timeout=30)
        httpx.delete(f"{url}/_index_template/{prefix}*", timeout=10)
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        pass  # best effort, as for the topics
