"""The launcher against the real services it starts: idempotent, fast when up, clear when a port is taken."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from harrier.infra.exceptions import InfraError
from harrier.infra.stack import Stack

pytestmark = pytest.mark.integration


def _launcher_manages_stack() -> bool:
    import os

    return "HARRIER_TEST_KAFKA" not in os.environ


@pytest.mark.skipif(not _launcher_manages_stack(), reason="stack provided from outside")
def test_up_twice_is_a_fast_no_op(kafka_bootstrap: str, es_url: str) -> None:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "harrier.cli.main", "infra", "up"], capture_output=True, text=True, check=True
    ).stdout
    assert time.monotonic() - started < 15
    assert f"{kafka_bootstrap}" in out and "ready" in out
    status = subprocess.run([sys.executable, "-m", "harrier.cli.main", "infra", "status"], capture_output=True, text=True)
    assert status.returncode == 0
    assert [line.split()[-1] for line in status.stdout.splitlines()] == ["ready", "ready"]


def test_a_taken_port_is_refused_in_one_line(tmp_path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        stack = Stack(home=tmp_path, kafka_port=port)
        with pytest.raises(InfraError, match=rf"^port {port} is taken by another process"):
            stack.kafka.up()
        stack = Stack(home=tmp_path, es_port=port)
        with pytest.raises(InfraError, match=rf"^port {port} is taken by another process"):
            stack.elasticsearch.up()
