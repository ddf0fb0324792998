"""Executions endpoints against the real stack; the tests play the executor on the topics."""

from __future__ import annotations

import threading
from unittest.mock import ANY

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from webserver_stack import Stack

from harrier.topics.clients import create_consumer
from harrier.topics.serdes import decode_envelope

pytestmark = pytest.mark.integration

YAML = {"Content-Type": "application/x-yaml"}

FLOW = """id: greet
namespace: exec.tests
labels:
  owner: ops
inputs:
  - id: name
    type: STRING
  - id: count
    type: INT
    defaults: 1
  - id: attachment
    type: FILE
    required: false
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "hi {{ inputs.name }}"
"""


@pytest.fixture(scope="module")
def commands(stack: Stack) -> Consumer:
    """A reader of the executions topic, to see the commands the webserver sent."""
    consumer = create_consumer(stack.settings, None, "webserver-tests-commands")
    topic = stack.topic("executions")
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    stack.client.post("/api/v1/flows", content=FLOW, headers=YAML).raise_for_status()
    yield consumer
    consumer.close()


def read_command(consumer: Consumer, execution_id: str) -> tuple[str, dict]:
    for _ in range(200):
        message = consumer.poll(0.1)
        if message is None or message.error():
            continue
        envelope = decode_envelope(message.value())
        if message.key().decode() == execution_id:
            return envelope.kind, envelope.data
    raise AssertionError(f"no command for {execution_id}")


def test_create_with_json_inputs_sends_a_create_command(stack: Stack, commands: Consumer) -> None:
    response = stack.client.post(
        "/api/v1/executions/exec.tests/greet", json={"name": "Ada", "count": "3"}, params={"labels": ["env:prod"]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"]["current"] == "CREATED" and body["flowRevision"] == 1
    assert body["labels"] == [{"key": "owner", "value": "ops"}, {"key": "env", "value": "prod"}]
    assert body["inputs"] == {"name": "Ada", "count": 3, "attachment": None}
    kind, data = read_command(commands, body["id"])
    assert kind == "create"
    assert data["inputs"]["count"] == 3
    assert data["labels"] == {"owner": "ops", "env": "prod"}


def test_multipart_files_go_to_internal_storage(stack: Stack, commands: Consumer) -> None:
    response = stack.client.post(
        "/api/v1/executions/exec.tests/greet",
        data={"name": "Bob"},
        files={"attachment": ("report.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    uri = body["inputs"]["attachment"]
    assert uri.startswith("kestra:///exec/tests/greet/executions/") and uri.endswith("/inputs/attachment/report.csv")
    assert stack.storage.get(uri) == b"a,b\n1,2\n"
    _, data = read_command(commands, body["id"])
    assert data["inputs"]["attachment"] == uri


def test_bad_inputs_are_422_naming_each_input(stack: Stack) -> None:
    response = stack.client.post("/api/v1/executions/exec.tests/greet", json={"count": "many"})
    assert response.status_code == 422
    body = response.json()
    assert "input 'name': a value is required" in body["problems"]
    assert any(p.startswith("input 'count': expected an integer") for p in body["problems"])
    not_object = stack.client.post("/api/v1/executions/exec.tests/greet", json=[1, 2])
    assert not_object.status_code == 422 and "JSON object" in not_object.json()["message"]
    bad_label = stack.client.post("/api/v1/executions/exec.tests/greet", json={"name": "x"}, params={"labels": "nocolon"})
    assert (bad_label.status_code, bad_label.json()["message"]) == (422, "labels: 'nocolon' is not key:value")


def test_unknown_flow_is_404(stack: Stack) -> None:
    response = stack.client.post("/api/v1/executions/exec.tests/missing", json={})
    assert (response.status_code, response.json()["message"]) == (404, "flow exec.tests/missing not found")


def test_wait_returns_the_terminal_snapshot_with_outputs(stack: Stack, commands: Consumer) -> None:
    result: dict = {}

    def run() -> None:
        with httpx.Client(base_url=stack.url, timeout=30) as client:
            result["response"] = client.post(
                "/api/v1/executions/exec.tests/greet", json={"name": "Cy"}, params={"wait": "true", "timeout": 20}
            )

    waiter = threading.Thread(target=run)
    waiter.start()
    execution_id = _next_create(commands)
    stack.emit_snapshot(execution_id, "RUNNING", namespace="exec.tests", flow_id="greet")
    stack.emit_snapshot(execution_id, "SUCCESS", namespace="exec.tests", flow_id="greet", outputs={"greeting": "hi Cy"})
    waiter.join(30)
    response = result["response"]
    assert response.status_code == 200
    assert response.json()["state"]["current"] == "SUCCESS"
    assert response.json()["outputs"] == {"greeting": "hi Cy"}


def _next_create(consumer: Consumer) -> str:
    for _ in range(200):
        message = consumer.poll(0.1)
        if message is not None and not message.error() and decode_envelope(message.value()).kind == "create":
            return message.key().decode()
    raise AssertionError("no create command arrived")


def test_get_reads_the_freshest_snapshot(stack: Stack) -> None:
    stack.emit_snapshot("get-1", "RUNNING")
    got = stack.eventually(lambda: stack.client.get("/api/v1/executions/get-1").status_code == 200)
    assert got
    body = stack.client.get("/api/v1/executions/get-1").json()
    assert (body["state"]["current"], body["flowId"], body["namespace"]) == ("RUNNING", "flow", "tests")
    assert stack.client.get("/api/v1/main/executions/get-1").json() == {**body, "state": {**body["state"], "duration": ANY}}
    missing = stack.client.get("/api/v1/executions/nope")
    assert (missing.status_code, missing.json()["message"]) == (404, "execution nope not found")


def test_kill_of_a_finished_execution_is_409(stack: Stack, commands: Consumer) -> None:
    stack.emit_snapshot("done-1", "SUCCESS")
    stack.eventually(lambda: stack.services.snapshots.get("done-1"))
    response = stack.client.delete("/api/v1/executions/done-1/kill")
    assert response.status_code == 409
    assert response.json()["message"] == (
        "execution done-1 already ended in state SUCCESS: only an execution that is still running can be killed"
    )
    assert stack.client.delete("/api/v1/executions/unknown-1/kill").status_code == 404


def test_kill_resume_restart_send_commands_in_the_right_states(stack: Stack, commands: Consumer) -> None:
    stack.emit_snapshot("live-1", "RUNNING")
    stack.emit_snapshot("paused-1", "PAUSED")
    stack.emit_snapshot("failed-1", "FAILED")
    stack.eventually(lambda: stack.services.snapshots.get("failed-1"))

    assert stack.client.delete("/api/v1/executions/live-1/kill").status_code == 202
    assert read_command(commands, "live-1")[0] == "kill"
    assert stack.client.post("/api/v1/executions/paused-1/resume", json={"ok": True}).status_code == 202
    assert read_command(commands, "paused-1") == ("resume", {"command": "resume", "execution_id": "paused-1", "inputs": {"ok": True}})
    assert stack.client.post("/api/v1/executions/failed-1/restart").status_code == 202
    assert read_command(commands, "failed-1")[0] == "restart"

    not_paused = stack.client.post("/api/v1/executions/live-1/resume")
    assert (not_paused.status_code, not_paused.json()["message"]) == (
        409, "execution live-1 is RUNNING: only a PAUSED execution can be resumed"
    )
    not_failed = stack.client.post("/api/v1/executions/paused-1/restart")
    assert not_failed.status_code == 409 and "only a FAILED or KILLED execution" in not_failed.json()["message"]


def test_search_executions_through_the_indexer(stack: Stack) -> None:
    stack.emit_snapshot("search-a", "SUCCESS", namespace="searching", flow_id="f1", labels={"team": "x"})
    stack.emit_snapshot("search-b", "FAILED", namespace="searching", flow_id="f1")
    stack.emit_snapshot("search-c", "SUCCESS", namespace="searching.child", flow_id="f2")

    def ids(**params: object) -> list[str]:
        response = stack.client.get("/api/v1/executions/search", params=params)
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json()["results"])

    assert stack.eventually(lambda: ids(namespace="searching") == ["search-a", "search-b", "search-c"])
    assert ids(namespace="searching", state="FAILED") == ["search-b"]
    assert ids(namespace="searching", labels="team:x") == ["search-a"]
    assert ids(flowId="f2") == ["search-c"]
    bad = stack.client.get("/api/v1/executions/search", params={"cursor": "!!"})
    assert bad.status_code == 422 and "cursor" in bad.json()["message"]
