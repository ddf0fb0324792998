"""The probe server over real HTTP on 127.0.0.1 (port 0: any free port)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.core import CounterMetricFamily

from harrier.probes import ProbeServer, start_probes


class _Ticks:
    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily("harrier_test_ticks", "Ticks", value=7)


@pytest.fixture
def reason() -> list[str | None]:
    return [None]


@pytest.fixture
def server(reason: list[str | None]) -> Iterator[ProbeServer]:
    with ProbeServer("tester", lambda: reason[0], [_Ticks()]) as probes:
        yield probes


def _get(server: ProbeServer, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{server.port}{path}", timeout=5)


def test_health_is_up_while_the_process_runs(server: ProbeServer) -> None:
    answer = _get(server, "/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "UP", "component": "tester"}


def test_ready_follows_the_component_and_says_why_not(server: ProbeServer, reason: list[str | None]) -> None:
    reason[0] = "no partitions assigned"
    answer = _get(server, "/ready")
    assert answer.status_code == 503
    assert answer.json() == {"status": "DOWN", "component": "tester", "reason": "no partitions assigned"}
    reason[0] = None
    answer = _get(server, "/ready")
    assert answer.status_code == 200
    assert answer.json()["status"] == "UP"


def test_a_failing_readiness_check_is_a_503_with_the_error() -> None:
    def broken() -> str | None:
        raise RuntimeError("boom")

    with ProbeServer("tester", broken) as probes:
        answer = _get(probes, "/ready")
        assert answer.status_code == 503
        assert answer.json()["reason"] == "readiness check failed: RuntimeError: boom"
        assert _get(probes, "/health").status_code == 200


def test_metrics_expose_the_collectors_and_the_process(server: ProbeServer) -> None:
    answer = _get(server, "/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "harrier_test_ticks_total 7.0" in answer.text
    assert "process_resident_memory_bytes" in answer.text


def test_unknown_paths_are_404(server: ProbeServer) -> None:
    assert _get(server, "/nope").status_code == 404


def test_stop_releases_the_port() -> None:
    probes = ProbeServer("tester", lambda: None).start()
    port = probes.port
    probes.stop()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_port_zero_in_the_settings_means_no_server() -> None:
    assert start_probes("tester", "127.0.0.1", 0, lambda: None) is None


def test_a_taken_port_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert start_probes("tester", "127.0.0.1", port, lambda: None) is None
    assert f"tester probes cannot listen on 127.0.0.1:{port}" in caplog.text


def test_a_configured_port_serves() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    probes = start_probes("tester", "127.0.0.1", port, lambda: None)
    assert probes is not None
    try:
        assert probes.port == port
        assert _get(probes, "/ready").status_code == 200
    finally:
        probes.stop()
