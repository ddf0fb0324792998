"""The probe servers of `harrier server executor|worker|scheduler|indexer` from the outside:
each process on its own free port, `/health` at once, `/ready` once it holds its work,
`/metrics` with its own metric names, and a clean exit on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from harrier.config.loader import load_settings
from harrier.topics.admin import ensure_topics
from harrier.topics.clients import create_admin
from harrier.topics.specs import build_specs
from tests.integration.standalone import free_port

pytestmark = pytest.mark.integration

COMPONENTS = ["executor", "worker", "scheduler", "indexer"]
# A counter or gauge of each component's own (not only the process_* ones).
METRICS = {
    "executor": ["harrier_executor_stream_processes_alive", "harrier_executor_stream_process_restarts_total"],
    "worker": ["harrier_worker_tasks_finished_total", "harrier_worker_tasks_running", "harrier_worker_partitions_assigned"],
    "scheduler": ["harrier_scheduler_partitions", "harrier_scheduler_executions_created_total",
                  "harrier_scheduler_flow_records_read_total"],
    "indexer": ["harrier_indexer_documents_indexed_total", "harrier_indexer_lag_records", "harrier_indexer_partitions_assigned"],
}
READY_TIMEOUT_S = 120


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def components(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Running]]:
    home = tmp_path_factory.mktemp("probes")
    ports = {name: free_port() for name in COMPONENTS}
    tag = f"probes{uuid.uuid4().hex[:10]}"
    config = home / "harrier.yml"
    config.write_text(yaml.safe_dump({
        "kafka": {"bootstrap-servers": kafka_bootstrap},
        "topics": {"prefix": f"{tag}.", "partitions": 2},
        "executor": {"stream-threads": 1, "probe-port": ports["executor"]},
        "worker": {"threads": 2, "probe-port": ports["worker"]},
        "scheduler": {"probe-port": ports["scheduler"]},
        "indexer": {"probe-port": ports["indexer"]},
        "elasticsearch": {"hosts": [es_url], "index-prefix": f"{tag}-"},
        "storage": {"base-path": str(home / "storage")},
    }))
    # Created once here rather than by four processes racing to create them.
    settings = load_settings([config])
    ensure_topics(create_admin(settings), build_specs(settings).values())
    running: dict[str, Running] = {}
    try:
        for name in COMPONENTS:
            log = home / f"{name}.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "harrier.cli.main", "server", name, "--no-ensure-topics", "--config", str(config)],
                    stdout=out, stderr=subprocess.STDOUT, cwd=home,
                )
            running[name] = Running(proc, f"http://127.0.0.1:{ports[name]}", log)
        yield running
    finally:
        for component in running.values():
            if component.proc.poll() is None:
                component.proc.kill()
                component.proc.wait(10)


def _wait_for(component: Running, path: str, status: int) -> httpx.Response:
    deadline = time.monotonic() + READY_TIMEOUT_S
    answer: httpx.Response | None = None
    while time.monotonic() < deadline:
        assert component.proc.poll() is None, f"exited with {component.proc.returncode}:\n{component.tail()}"
        try:
            answer = httpx.get(component.url + path, timeout=5)
            if answer.status_code == status:
                return answer
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    last = f"{answer.status_code} {answer.text}" if answer is not None else "no answer"
    pytest.fail(f"{path} never answered {status} (last: {last}):\n{component.tail()}")


@pytest.mark.parametrize("name", COMPONENTS)
def test_health_answers_while_the_process_runs(components: dict[str, Running], name: str) -> None:
    answer = _wait_for(components[name], "/health", 200)
    assert answer.json() == {"status": "UP", "component": name}


@pytest.mark.parametrize("name", COMPONENTS)
def test_ready_turns_200_once_the_component_holds_its_work(components: dict[str, Running], name: str) -> None:
    answer = _wait_for(components[name], "/ready", 200)
    assert answer.json() == {"status": "UP", "component": name, "reason": None}


@pytest.mark.parametrize("name", COMPONENTS)
def test_metrics_have_the_components_own_names(components: dict[str, Running], name: str) -> None:
    _wait_for(components[name], "/ready", 200)
    text = _wait_for(components[name], "/metrics", 200).text
    for metric in METRICS[name]:
        assert metric in text, f"{metric} missing from:\n{text[:2000]}"
    assert "process_resident_memory_bytes" in text
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    if name in ("worker", "indexer"):
        # Ready because it holds partitions: the metric says so too.
        assert float(samples[f"harrier_{name}_partitions_assigned"]) > 0
    if name == "executor":
        assert float(samples['harrier_executor_stream_processes_alive{role="executions"}']) == 1


def test_sigterm_stops_each_component_cleanly(components: dict[str, Running]) -> None:
    for component in components.values():
        component.proc.send_signal(signal.SIGTERM)
    for name, component in components.items():
        assert component.proc.wait(60) == 0, f"{name}:\n{component.tail()}"
        with pytest.raises(httpx.TransportError):
            httpx.get(component.url + "/health", timeout=2)
