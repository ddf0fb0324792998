"""Real flows end to end through the broker: create command in, terminal snapshot out.

One executor (a supervisor with one stream process running `ExecutionProcessor`) and one
worker (in a thread) share topics under a prefix unique to this module. Flows are deployed
as `flows` records; each test sends commands on `executions` and reads `execution-states`.
"""

from __future__ import annotations

import contextlib
import functools
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from harrier.config import Settings
from harrier.core.messages import CreateExecution, FlowRecord, KillExecution, RestartExecution, ResumeExecution
from harrier.executor import RuntimeConfig, Supervisor
from harrier.executor.processor import create_processor
from harrier.topics import build_specs, create_admin, create_consumer, create_producer, ensure_topics, read_dead_letter
from harrier.topics.records import FLOW_RECORD, encode_command
from harrier.topics.serdes import decode_envelope, encode_key
from harrier.worker import Worker

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).resolve().parents[2] / "flows" / "valid"
TOPICS = (
    "flows", "executions", "executions-by-flow", "worker-results", "execution-states", "worker-tasks",
    "worker-controls", "logs", "metrics", "dead-letters",
)
TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"}

FLOWS = {
    "retry": """
        id: retry
        namespace: e2e
        tasks:
          - id: flaky
            type: Fail
            condition: "{{ taskrun.attemptsCount < 2 }}"
            retry: {type: constant, interval: PT0.2S, maxAttempts: 5}
    """,
    "timeout": """
        id: timeout
        namespace: e2e
        tasks:
          - {id: slow, type: Sleep, duration: PT30S, timeout: PT1S}
    """,
    "flow-timeout": """
        id: flow-timeout
        namespace: e2e
        timeout: PT1S
        tasks:
          - {id: slow, type: Sleep, duration: PT60S}
          - {id: never, type: Log, message: never}
    """,
    "pause": """
        id: pause
        namespace: e2e
        tasks:
          - {id: wait, type: Pause}
          - {id: after, type: Log, message: resumed}
    """,
    "pause-timer": """
        id: pause-timer
        namespace: e2e
        tasks:
          - {id: wait, type: Pause, pauseDuration: PT1S}
          - {id: after, type: Return, format: done}
    """,
    "kill": """
        id: kill
        namespace: e2e
        tasks:
          - {id: slow, type: Sleep, duration: PT60S}
          - {id: never, type: Log, message: never}
    """,
    "flowables": """
        id: flowables
        namespace: e2e
        tasks:
          - id: par
            type: Parallel
            tasks:
              - id: route
                type: Switch
                value: b
                cases:
                  a: [{id: ra, type: Log, message: a}]
                  b: [{id: rb, type: Return, format: "switch-b"}]
              - id: graph
                type: Dag
                tasks:
                  - task: {id: d1, type: Return, format: one}
                  - task: {id: d2, type: Return, format: "{{ outputs.d1.value }}-two"}
                    dependsOn: [d1]
          - id: each
            type: ForEach
            values: [x, y, z]
            concurrencyLimit: 2
            tasks:
              - id: tolerant
                type: AllowFailure
                tasks:
                  - {id: maybe, type: Fail, condition: "{{ taskrun.value == 'y' }}"}
              - {id: echo, type: Return, format: "{{ taskrun.value }}"}
          - {id: seq, type: Sequential, tasks: [{id: last, type: Return, format: "{{ outputs.d2.value }}"}]}
        outputs:
          - {id: result, value: "{{ outputs.last.value }}"}
          - {id: echoes, value: "{{ outputs.echo | length }}"}
    """,
    "child": """
        id: child
        namespace: e2e
        inputs:
          - {id: name, type: STRING}
        tasks:
          - {id: fail-if-asked, type: Fail, condition: "{{ inputs.name == 'boom' }}"}
          - {id: greet, type: Return, format: "hello {{ inputs.name }}"}
        outputs:
          - {id: greeting, value: "{{ outputs.greet.value }}"}
    """,
    "parent": """
        id: parent
        namespace: e2e
        inputs:
          - {id: name, type: STRING}
        tasks:
          - id: call
            type: Subflow
            namespace: e2e
            flowId: child
            inputs: {name: "{{ inputs.name }}"}
        outputs:
          - {id: got, value: "{{ outputs.call.outputs.greeting }}"}
    """,
}


class Stack:
    """The running executor and worker, and helpers to drive executions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prefix = settings.topics.prefix
        self.producer = create_producer(settings, client_id="e2e")
        self.states: dict[str, dict[str, Any]] = {}
        self.consumer = create_consumer(settings, None, "e2e-states")
        topic = self.prefix + "execution-states"
        partitions = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])

    def deploy(self, source: str, revision: int = 1) -> None:
        data = textwrap.dedent(source)
        doc = yaml.safe_load(data)
        record = FlowRecord(namespace=doc["namespace"], id=doc["id"], revision=revision, source=data)
        self.producer.produce(self.prefix + "flows", key=encode_key(record.uid), value=FLOW_RECORD.encode(record))
        assert self.producer.flush(10) == 0

    def command(self, command: Any) -> None:
        self.producer.produce(self.prefix + "executions", key=encode_key(command.execution_id), value=encode_command(command))
        assert self.producer.flush(10) == 0

    def start(self, namespace: str, flow_id: str, inputs: dict[str, Any] | None = None) -> str:
        execution_id = uuid.uuid4().hex
        self.command(
            CreateExecution(
                execution_id=execution_id, namespace=namespace, flow_id=flow_id, inputs=inputs or {},
                created_at=datetime.now(UTC),
            )
        )
        return execution_id

    def _read(self, timeout: float) -> None:
        for message in self.consumer.consume(1000, timeout):
            if message.error() is not None or message.value() is None:
                continue
            self.states[message.key().decode()] = decode_envelope(message.value()).data

    def wait(self, execution_id: str, done: Callable[[dict[str, Any]], bool], timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.states.get(execution_id)
            if state is not None and done(state):
                return state
            self._read(0.2)
        raise AssertionError(f"execution {execution_id}: condition not met in {timeout} s; last {self.states.get(execution_id)}")

    def ended(self, execution_id: str, timeout: float = 60.0) -> dict[str, Any]:
        return self.wait(execution_id, lambda s: s["state"] in TERMINAL, timeout)


def _settings(bootstrap: str, storage: Path) -> Settings:
    return Settings.model_validate(
        {
            "kafka": {"bootstrap-servers": bootstrap, "consumer": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}},
            "topics": {"prefix": f"e2e-{uuid.uuid4().hex[:8]}.", "partitions": 2},
            "executor": {"stream-threads": 1},
            "worker": {"threads": 8},
            "storage": {"base-path": str(storage)},
        }
    )


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = _settings(kafka_bootstrap, tmp_path_factory.mktemp("storage"))
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs[name] for name in TOPICS])
    helper = Stack(settings)
    for name in ("two_tasks.yml", "kestra_benchmark02_complex_flow.yml", "foreach_160_log.yml", "errors_and_finally.yml"):
        helper.deploy((SEEDS / name).read_text())
    for source in FLOWS.values():
        helper.deploy(source)
    with running(settings, "e2e"):
        yield helper


@contextlib.contextmanager
def running(settings: Settings, instance_id: str) -> Iterator[None]:
    """An executor (one stream process under its supervisor) and a worker, in threads."""
    supervisor = Supervisor(RuntimeConfig(settings, instance_id=instance_id),
                            functools.partial(create_processor, settings), processes=1, restart_delay_s=0.2)
    executor = threading.Thread(target=supervisor.run, daemon=True)
    executor.start()
    worker = Worker(settings)
    worker_thread = threading.Thread(target=worker.run, daemon=True)
    worker_thread.start()
    assert worker.ready.wait(60), "worker did not start"
    try:
        yield
    finally:
        worker.stop()
        supervisor.request_stop()
        worker_thread.join(30)
        executor.join(60)


def test_two_task_flow(stack: Stack) -> None:
    execution_id = stack.start("benchmarks", "two-tasks")
    state = stack.ended(execution_id)
    assert state["state"] == "SUCCESS"
    assert [tr["task_id"] for tr in state["task_runs"]] == ["first", "second"]
    # A Log task has no outputs, so `{{ outputs | length }}` counts nothing (as in Kestra).
    assert state["task_runs"][1]["outputs"] == {"value": "0"}


def test_five_if_flow(stack: Stack) -> None:
    execution_id = stack.start("benchmarks", "benchmark02")
    state = stack.ended(execution_id)
    assert state["state"] == "SUCCESS"
    assert len(state["task_runs"]) == 10
    assert {tr["task_id"] for tr in state["task_runs"] if tr["task_id"].startswith("hello")} == {
        f"hello-true-{i}" for i in range(1, 6)
    }


def test_foreach_160_log(stack: Stack) -> None:
    execution_id = stack.start("company.team", "hummingbird_941521")
    state = stack.ended(execution_id, timeout=120)
    assert state["state"] == "SUCCESS"
    logs = [tr for tr in state["task_runs"] if tr["task_id"] == "log"]
    assert sorted(tr["value"] for tr in logs) == list(range(1, 161))
    assert all(tr["state"] == "SUCCESS" and len(tr["attempts"]) == 1 for tr in logs)


def test_every_flowable_together(stack: Stack) -> None:
    execution_id = stack.start("e2e", "flowables")
    state = stack.ended(execution_id)
    assert state["state"] == "WARNING", state.get("error")
    assert state["outputs"] == {"result": "one-two", "echoes": 3}
    by_task = {}
    for tr in state["task_runs"]:
        by_task.setdefault(tr["task_id"], []).append(tr)
    assert "ra" not in by_task and by_task["rb"][0]["outputs"] == {"value": "switch-b"}
    assert sorted(tr["state"] for tr in by_task["tolerant"]) == ["SUCCESS", "SUCCESS", "WARNING"]


def test_errors_and_finally(stack: Stack) -> None:
    execution_id = stack.start("company.team", "errors-finally")
    state = stack.ended(execution_id)
    assert state["state"] == "FAILED"
    assert [tr["task_id"] for tr in state["task_runs"]] == ["fail", "alert", "cleanup"]
    assert [tr["state"] for tr in state["task_runs"]] == ["FAILED", "SUCCESS", "SUCCESS"]


def test_retries_until_success(stack: Stack) -> None:
    execution_id = stack.start("e2e", "retry")
    state = stack.ended(execution_id)
    assert state["state"] == "SUCCESS"
    assert [a["state"] for a in state["task_runs"][0]["attempts"]] == ["FAILED", "FAILED", "SUCCESS"]


def test_timeout_kills_the_attempt(stack: Stack) -> None:
    execution_id = stack.start("e2e", "timeout")
    state = stack.ended(execution_id, timeout=30)
    assert state["state"] == "FAILED"
    assert state["task_runs"][0]["error"] == "timed out after PT1S"


def test_flow_timeout_kills_the_execution(stack: Stack) -> None:
    execution_id = stack.start("e2e", "flow-timeout")
    state = stack.ended(execution_id, timeout=30)
    assert state["state"] == "FAILED"
    assert state["error"] == "flow timeout PT1S exceeded"
    history = {h["state"]: datetime.fromisoformat(h["at"]) for h in state["history"]}
    assert list(history)[-2:] == ["KILLING", "FAILED"]
    # Fired by the executor's timer about a second after RUNNING, not when the Sleep ended.
    assert timedelta(seconds=1) <= history["FAILED"] - history["RUNNING"] < timedelta(seconds=10)
    [slow] = state["task_runs"]
    assert slow["task_id"] == "slow" and slow["state"] == "KILLED"
    assert slow["attempts"][-1]["state"] == "KILLED"


def test_pause_and_resume(stack: Stack) -> None:
    execution_id = stack.start("e2e", "pause")
    stack.wait(execution_id, lambda s: s["state"] == "PAUSED")
    stack.command(ResumeExecution(execution_id=execution_id))
    assert stack.ended(execution_id)["state"] == "SUCCESS"
    timed = stack.start("e2e", "pause-timer")
    state = stack.ended(timed, timeout=30)
    assert state["state"] == "SUCCESS"
    assert "PAUSED" in [h["state"] for h in state["history"]]


def test_kill_stops_the_running_task(stack: Stack) -> None:
    execution_id = stack.start("e2e", "kill")
    stack.wait(execution_id, lambda s: s["task_runs"] and s["task_runs"][0]["state"] == "RUNNING")
    stack.command(KillExecution(execution_id=execution_id))
    state = stack.ended(execution_id, timeout=30)
    assert state["state"] == "KILLED"
    assert [tr["task_id"] for tr in state["task_runs"]] == ["slow"]


def test_restart_from_the_failed_task(stack: Stack) -> None:
    execution_id = stack.start("e2e", "child", {"name": "boom"})
    assert stack.ended(execution_id)["state"] == "FAILED"
    stack.command(RestartExecution(execution_id=execution_id))
    state = stack.wait(execution_id, lambda s: s["state"] in TERMINAL and len(s["task_runs"][0]["attempts"]) == 2)
    assert state["state"] == "FAILED"
    assert [h["state"] for h in state["history"]][-2:] == ["RUNNING", "FAILED"]


def test_subflow_success_and_failure(stack: Stack) -> None:
    ok = stack.start("e2e", "parent", {"name": "ada"})
    state = stack.ended(ok)
    assert state["state"] == "SUCCESS"
    assert state["outputs"] == {"got": "hello ada"}
    child_id = state["task_runs"][0]["outputs"]["executionId"]
    assert stack.ended(child_id)["parent"]["execution_id"] == ok
    failing = stack.start("e2e", "parent", {"name": "boom"})
    state = stack.ended(failing)
    assert state["state"] == "FAILED"
    assert state["task_runs"][0]["outputs"]["state"] == "FAILED"


def test_unknown_flow_fails_clearly_and_poison_records_are_dead_lettered(stack: Stack) -> None:
    execution_id = stack.start("e2e", "does-not-exist")
    state = stack.ended(execution_id, timeout=30)
    assert state["state"] == "FAILED"
    assert state["error"] == "flow e2e/does-not-exist not found"
    stack.producer.produce(stack.prefix + "executions", key=b"poison", value=b"{not json")
    stack.producer.produce(stack.prefix + "worker-results", key=b"poison", value=b'{"v":1,"type":"worker-result","data":{}}')
    assert stack.producer.flush(10) == 0
    after = stack.start("benchmarks", "two-tasks")
    assert stack.ended(after)["state"] == "SUCCESS"
    reader = create_consumer(stack.settings, None, "e2e-dead")
    topic = stack.prefix + "dead-letters"
    parts = reader.list_topics(topic, timeout=10).topics[topic].partitions
    reader.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    letters = []
    deadline = time.monotonic() + 30
    while len(letters) < 2 and time.monotonic() < deadline:
        for message in reader.consume(100, 0.5):
            if message.error() is None:
                letters.append(read_dead_letter(message))
    reader.close()
    assert sorted(letter.topic for letter in letters) == [stack.prefix + "executions", stack.prefix + "worker-results"]
    assert all(letter.key == b"poison" and letter.error for letter in letters)
