"""A `harrier server standalone` process of a test's own: own topics, indices, storage and port.

How the integration tests that need the whole product (the CLI, the UI) start it: as a user
does, with a config file, and waited for until `/ready` answers 200.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

__all__ = ["free_port", "standalone"]

_READY_S = 120


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(home: Path, kafka: str, es: str, tag: str, port: int, extra: str) -> Path:
    config = home / f"harrier-{port}.yml"
    config.write_text(
        f"kafka:\n  bootstrap-servers: {kafka}\n"
        f"topics:\n  prefix: {tag}.\n  partitions: 2\n"
        f"executor:\n  stream-threads: 1\n"
        f"elasticsearch:\n  hosts: [{es}]\n  index-prefix: {tag}-\n"
        f"webserver:\n  port: {port}\n{extra}"
        f"storage:\n  base-path: {home / 'storage'}\n"
        # As a deployment has: SECRET inputs are refused without a key.
        f"encryption:\n  secret-key: {base64.b64encode(os.urandom(32)).decode()}\n"
    )
    return config


@contextmanager
def standalone(home: Path, kafka: str, es: str, *, tag: str, webserver: str = "",
               only: str | None = None) -> Iterator[str]:
    """Run Harrier until the block ends; yields the webserver's URL.

    ``webserver`` is YAML indented under ``webserver:`` (e.g. auth); ``only`` runs one
    component (``harrier server webserver``) instead of all of them, on the same topics.
    """
    port = free_port()
    config = _config(home, kafka, es, tag, port, webserver)
    command = ["server", only] if only else ["server", "standalone"]
    log_path = home / f"server-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "harrier.cli.main", *command, "--config", str(config)],
        stdout=log, stderr=subprocess.STDOUT, cwd=home,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log_path)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        log.close()
    assert code == 0, f"{' '.join(command)} exited {code}: " + log_path.read_text()[-3000:]


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + _READY_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            pytest.fail(f"harrier exited {proc.returncode}: " + log_path.read_text()[-3000:])
        time.sleep(0.5)
    pytest.fail("harrier not ready: " + log_path.read_text()[-3000:])
