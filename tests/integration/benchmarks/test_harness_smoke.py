"""The harness against the real broker, so it cannot rot.

1. Always: the Harrier target's Kafka plumbing (topics, CreateExecution commands, the
   execution-states observer) against a stand-in executor thread that answers each command
   with RUNNING then SUCCESS snapshots, through `python -m benchmarks.harness` itself.
2. A few seconds of the 2-task flow on `harrier server standalone` (executor + worker), every
   execution must end in SUCCESS.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from benchmarks.harness.__main__ import main
from benchmarks.harness.report import load_json
from benchmarks.harness.runner import run_scenario
from benchmarks.harness.targets.harrier import COMMAND_KIND, HarrierTarget
from benchmarks.scenarios.catalog import by_name
from harrier.config.loader import load_settings
from harrier.topics.serdes import decode_envelope, encode_data

pytestmark = pytest.mark.integration


def _stand_in_executor(bootstrap: str, prefix: str, stop: threading.Event, seen: list[str]) -> None:
    """Answer each create command with a RUNNING then a SUCCESS snapshot, as the executor would."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{prefix}stand-in",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    consumer.subscribe([f"{prefix}executions"])
    try:
        while not stop.is_set():
            message = consumer.poll(0.05)
            if message is None or message.error():
                continue
            envelope = decode_envelope(message.value())
            seen.append(envelope.kind)
            command = envelope.data
            now = datetime.now(timezone.utc).isoformat()
            for state in ("RUNNING", "SUCCESS"):
                snapshot = {"id": command["execution_id"], "namespace": command["namespace"],
                            "flow_id": command["flow_id"], "state": state, "labels": command["labels"],
                            "created_at": command["created_at"], "ended_at": now if state == "SUCCESS" else None}
                producer.produce(f"{prefix}execution-states", key=message.key(),
                                 value=encode_data("execution", snapshot))
            producer.poll(0)
    finally:
        producer.flush(5)
        consumer.close()


@pytest.fixture
def prefix(monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str) -> Iterator[str]:
    """A topic prefix of its own, whose topics are deleted afterwards."""
    value = f"bench{uuid.uuid4().hex[:6]}."
    monkeypatch.setenv("HARRIER__TOPICS__PREFIX", value)
    monkeypatch.setenv("HARRIER__KAFKA__BOOTSTRAP_SERVERS", kafka_bootstrap)
    yield value
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    mine = [name for name in admin.list_topics(timeout=10).topics if name.startswith(value)]
    for future in admin.delete_topics(mine).values() if mine else ():
        future.result()


def test_harness_cli_against_a_stand_in_executor(prefix: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    # Create the topics first so the stand-in can subscribe to an existing topic.
    target = HarrierTarget(load_settings())
    asyncio.run(target.prepare(by_name(["two-tasks"])[0]))
    asyncio.run(target.close())
    stop, seen = threading.Event(), []
    thread = threading.Thread(target=_stand_in_executor, args=(kafka_bootstrap, prefix, stop, seen), daemon=True)
    thread.start()
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Kafka floor\n\nkept\n")
    try:
        code = main(["--quick", "--systems", "harrier", "--scenarios", "foreach-100", "--probe-s", "20",
                     "--out", str(tmp_path), "--write", str(results)])
    finally:
        stop.set()
        thread.join(10)
    assert code == 0
    _, runs = load_json(tmp_path / "scenarios-quick.json")
    assert [(r.scenario, r.system, r.error) for r in runs] == [("foreach-100", "harrier", None)]
    step = runs[0].steps[0]
    assert step.sent == step.succeeded == 2 and step.p50_s is not None and step.server_p50_s is not None
    assert set(seen) == {COMMAND_KIND}
    text = results.read_text()
    assert "## Kafka floor\n\nkept" in text and "## Scenarios: Harrier and Kestra" in text


@pytest.fixture
def harrier_server(prefix: str, tmp_path: Path) -> Iterator[None]:
    log = open(tmp_path / "harrier.log", "wb")  # noqa: SIM115 - the child writes it
    proc = subprocess.Popen(
        [sys.executable, "-m", "harrier.cli.main", "server", "standalone",
         "--without", "webserver", "--without", "indexer", "--without", "scheduler"],
        stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ), start_new_session=True,
    )
    try:
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_two_task_flow_on_harrier(harrier_server: None) -> None:
    scenario = replace(by_name(["two-tasks"])[0], quick_rates=(120,), quick_step_s=3.0, min_sends=0,
                       quick_warmup=None, timeout_s=30.0)
    target = HarrierTarget(load_settings())

    async def go():  # type: ignore[no-untyped-def]
        try:
            return await run_scenario(target, scenario, quick=True, key_prefix=f"b{uuid.uuid4().hex[:6]}")
        finally:
            await target.close()

    run = asyncio.run(go())
    step = run.steps[0]
    assert step.sent == 6
    assert step.succeeded == 6, orjson.dumps(step.to_dict()).decode()


@pytest.mark.skipif(os.environ.get("HARRIER_TEST_KESTRA") != "1",
                    reason="Kestra beside us is heavy (1 GB heap, ~80 MB of jars): set HARRIER_TEST_KESTRA=1")
def test_two_task_flow_on_kestra(tmp_path: Path) -> None:
    from benchmarks.harness.targets.kestra import KestraTarget
    from harrier.infra.kestra import KestraServer

    server = KestraServer.from_env()
    started = server.running_pid() is None
    server.up()
    scenario = replace(by_name(["two-tasks"])[0], quick_rates=(60,), quick_step_s=3.0, min_sends=0,
                       quick_warmup=None, timeout_s=60.0)
    target = KestraTarget(server.url)

    async def go():  # type: ignore[no-untyped-def]
        try:
            return await run_scenario(target, scenario, quick=True, key_prefix="smoke")
        finally:
            await target.close()

    try:
        run = asyncio.run(go())
    finally:
        if started:
            server.down()
    step = run.steps[0]
    assert step.sent == 3 and step.succeeded == 3, orjson.dumps(step.to_dict()).decode()
    assert step.server_p50_s is not None and step.server_p50_s > 0
