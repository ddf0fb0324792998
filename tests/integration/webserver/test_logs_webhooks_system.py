"""Logs (search, list, download), webhooks, health, readiness, metrics and auth on the real stack."""

from __future__ import annotations

import threading

import httpx
import pytest
from confluent_kafka import TopicPartition
from webserver_stack import Stack, make_settings, start_stack, stop_stack

from harrier.topics.clients import create_consumer
from harrier.topics.serdes import decode_envelope

pytestmark = pytest.mark.integration

YAML = {"Content-Type": "application/x-yaml"}

HOOKED = """id: hooked
namespace: hooks
triggers:
  - id: incoming
    type: io.kestra.plugin.core.trigger.Webhook
    key: s3cr3t-key
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body }}"
"""


def test_logs_search_list_and_download(stack: Stack) -> None:
    stack.emit_log("logs-1", "starting the extract", level="INFO", flush=False)
    stack.emit_log("logs-1", "row 7 is malformed\nskipping it", level="WARN", flush=False)
    stack.emit_log("logs-1", "done", level="INFO", task_id=None, flush=False)
    stack.emit_log("logs-2", "another execution", level="ERROR")

    def messages(**params: object) -> list[str]:
        # A daily log index created moments ago answers 503 until its shard has started.
        response = stack.client.get("/api/v1/logs/search", params=params)
        return [item["message"] for item in response.json()["results"]] if response.status_code == 200 else []

    assert stack.eventually(lambda: len(messages(executionId="logs-1")) == 3)
    assert messages(executionId="logs-1", minLevel="WARN") == ["row 7 is malformed\nskipping it"]
    assert messages(q="malformed") == ["row 7 is malformed\nskipping it"]
    paged = stack.client.get("/api/v1/logs/search", params={"executionId": "logs-1", "size": 2}).json()
    assert len(paged["results"]) == 2 and paged["total"] == 3 and paged["nextCursor"] and paged["type"] == "OFFSET"
    rest = stack.client.get("/api/v1/logs/search", params={"executionId": "logs-1", "size": 2,
                                                           "cursor": paged["nextCursor"]}).json()
    assert [item["message"] for item in rest["results"]] == ["done"] and rest["type"] == "CURSOR"
    listed = stack.client.get("/api/v1/logs/logs-1").json()
    assert [entry["message"] for entry in listed] == ["starting the extract", "row 7 is malformed\nskipping it", "done"]
    assert listed[0]["executionId"] == "logs-1" and listed[0]["timestamp"].endswith("Z")
    assert [entry["message"] for entry in stack.client.get("/api/v1/logs/logs-1", params={"minLevel": "WARN"}).json()] == [
        "row 7 is malformed\nskipping it"
    ]

    download = stack.client.get("/api/v1/logs/logs-1/download")
    assert download.headers["content-type"].startswith("text/plain")
    lines = download.text.splitlines()
    assert lines[0].endswith("INFO [t1] starting the extract")
    assert lines[1].endswith("WARN [t1] row 7 is malformed") and lines[2] == "    skipping it"
    assert lines[3].endswith("INFO done")
    bad_level = stack.client.get("/api/v1/logs/search", params={"minLevel": "LOUD"})
    assert bad_level.status_code == 422 and "minLevel" in bad_level.json()["message"]


def test_webhook_starts_an_execution_with_the_request_as_trigger_variables(stack: Stack) -> None:
    stack.client.post("/api/v1/flows", content=HOOKED, headers=YAML).raise_for_status()
    consumer = create_consumer(stack.settings, None, "webserver-tests-webhook")
    topic = stack.topic("executions")
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    try:
        response = stack.client.post(
            "/api/v1/executions/webhook/hooks/hooked/s3cr3t-key", json={"order": 42}, params={"source": "shop"}
        )
        assert response.status_code == 200, response.text
        execution_id = response.json()["id"]
        trigger = None
        for _ in range(200):
            message = consumer.poll(0.1)
            if message is not None and not message.error() and message.key().decode() == execution_id:
                trigger = decode_envelope(message.value()).data["trigger"]
                break
        assert trigger is not None
        assert trigger["body"] == {"order": 42} and trigger["parameters"] == {"source": "shop"}
        assert trigger["type"] == "Webhook" and trigger["id"] == "incoming"
    finally:
        consumer.close()
    wrong = stack.client.get("/api/v1/executions/webhook/hooks/hooked/wrong-key")
    assert wrong.status_code == 404
    assert wrong.json()["message"] == "flow hooks/hooked not found, or no webhook with that key"


def test_health_ready_and_metrics(stack: Stack) -> None:
    assert stack.client.get("/health").json() == {"status": "UP"}
    ready = stack.client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "UP", "checks": {"kafka": "UP", "elasticsearch": "UP", "flows": "UP"}}
    metrics = stack.client.get("/metrics").text
    assert 'harrier_webserver_kafka_consumers{purpose="follow"} 1.0' in metrics
    assert 'harrier_webserver_requests_total{method="GET",route="/health",status="200"}' in metrics


def test_ready_reports_an_unreachable_elasticsearch(stack_settings) -> None:  # type: ignore[no-untyped-def]
    settings = stack_settings.model_copy(update={"elasticsearch": stack_settings.elasticsearch.model_copy(
        update={"hosts": ["http://127.0.0.1:9"]})})
    running, server, thread = start_stack(settings)
    try:
        ready = running.client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["elasticsearch"].startswith("unreachable")
        search = running.client.get("/api/v1/executions/search")
        assert search.status_code == 503 and "Elasticsearch is unreachable" in search.json()["message"]
    finally:
        stop_stack(running, server, thread)


def test_basic_auth_guards_the_api_but_not_health_or_the_webhook(stack: Stack) -> None:
    auth = {"mode": "basic", "users": {"admin": "pw"}}
    settings = make_settings(stack.settings.kafka.bootstrap_servers, stack.settings.elasticsearch.hosts[0],
                             stack.settings.topics.prefix.rstrip("."), auth)
    running, server, thread = start_stack(settings)
    try:
        denied = running.client.get("/api/v1/flows")
        assert denied.status_code == 401 and denied.json()["message"].startswith("authentication required")
        assert running.client.get("/metrics").status_code == 401
        assert httpx.get(f"{running.url}/api/v1/flows", auth=("admin", "pw")).status_code == 200
        assert running.client.get("/health").status_code == 200
        hook = running.client.post("/api/v1/executions/webhook/hooks/nothing/k")
        assert hook.status_code == 404
    finally:
        stop_stack(running, server, thread)


BEARER_HOOKED = """id: bearer-hooked
namespace: hooks
triggers:
  - id: incoming
    type: io.kestra.plugin.core.trigger.Webhook
    key: bearer-hook-key
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body }}"
"""


def test_bearer_tokens_guard_the_api_but_not_health_or_the_webhook(stack: Stack) -> None:
    auth = {"mode": "bearer", "tokens": ["t0ken-one", "t0ken-two"]}
    settings = make_settings(stack.settings.kafka.bootstrap_servers, stack.settings.elasticsearch.hosts[0],
                             stack.settings.topics.prefix.rstrip("."), auth)
    running, server, thread = start_stack(settings)
    try:
        denied = running.client.get("/api/v1/flows")
        assert denied.status_code == 401
        assert denied.json()["message"] == "authentication required: send Authorization: Bearer <token>"
        assert denied.headers["www-authenticate"] == 'Bearer realm="harrier"'
        wrong = running.client.get("/api/v1/flows", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["message"] == "invalid bearer token"
        basic = httpx.get(f"{running.url}/api/v1/flows", auth=("admin", "t0ken-one"))
        assert basic.status_code == 401
        assert running.client.get("/metrics").status_code == 401
        for token in auth["tokens"]:
            assert running.client.get("/api/v1/flows", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert running.client.get("/metrics", headers={"Authorization": "Bearer t0ken-two"}).status_code == 200
        assert running.client.get("/health").status_code == 200
        deployed = running.client.post("/api/v1/flows", content=BEARER_HOOKED,
                                       headers={**YAML, "Authorization": "Bearer t0ken-one"})
        assert deployed.status_code in (200, 201), deployed.text
        # The webhook checks its own key, never the bearer token.
        hook = running.client.post("/api/v1/executions/webhook/hooks/bearer-hooked/bearer-hook-key", json={"n": 1})
        assert hook.status_code == 200, hook.text
        assert running.client.post("/api/v1/executions/webhook/hooks/bearer-hooked/wrong-key").status_code == 404
    finally:
        stop_stack(running, server, thread)


WAITING = """id: answering
namespace: hooks
triggers:
  - id: sync
    type: io.kestra.plugin.core.trigger.Webhook
    key: answer-key
    wait: true
    returnOutputs: true
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: hi
"""


def test_a_waiting_webhook_answers_with_the_outputs(stack: Stack) -> None:
    stack.client.post("/api/v1/flows", content=WAITING, headers=YAML).raise_for_status()
    result: dict = {}

    def call() -> None:
        result["response"] = httpx.post(f"{stack.url}/api/v1/executions/webhook/hooks/answering/answer-key", timeout=30)

    caller = threading.Thread(target=call)
    caller.start()
    # Play the executor: find the followed execution, then end it with outputs.
    execution_id = stack.eventually(lambda: next(iter(stack.services.fanout.followed()), None))
    stack.emit_snapshot(execution_id, "RUNNING", namespace="hooks", flow_id="answering")
    stack.emit_snapshot(execution_id, "SUCCESS", namespace="hooks", flow_id="answering", outputs={"answer": 42})
    caller.join(30)
    assert result["response"].status_code == 200
    assert result["response"].json() == {"answer": 42}
