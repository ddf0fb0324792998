"""The routes the web UI reads, against the real stack: flow inputs and triggers, the task graph,
namespaces, each flow's last execution, execution counts over time, and log identity on SSE."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from webserver_stack import Stack

from harrier.topics.serdes import encode_data

pytestmark = pytest.mark.integration

YAML = {"Content-Type": "application/x-yaml"}
LOG = "io.kestra.plugin.core.log.Log"


def deploy(stack: Stack, source: str) -> dict[str, Any]:
    response = stack.client.post("/api/v1/flows", content=source, headers=YAML)
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_a_flow_carries_its_inputs_and_triggers_with_the_next_fire_time(stack: Stack) -> None:
    source = (
        "id: described\nnamespace: ui.api\n"
        "inputs:\n  - id: name\n    type: STRING\n    displayName: Name\n    defaults: world\n"
        "  - id: colour\n    type: SELECT\n    values: [red, green]\n    required: false\n"
        f"tasks:\n  - id: hello\n    type: {LOG}\n    message: hi\n"
        "triggers:\n  - id: hourly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 * * * *'\n"
        "  - id: off\n    type: Schedule\n    cron: '0 0 * * *'\n    disabled: true\n"
        "  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: k1\n"
    )
    created = deploy(stack, source)
    assert created["inputs"][0] == {
        "id": "name", "type": "STRING", "displayName": "Name", "required": True, "defaults": "world",
        "allowCustomValue": False,
    }
    before = datetime.now(timezone.utc)
    flow = stack.client.get("/api/v1/flows/ui.api/described").json()
    assert flow["inputs"] == created["inputs"]
    assert flow["inputs"][1] == {
        "id": "colour", "type": "SELECT", "required": False, "values": ["red", "green"], "allowCustomValue": False,
    }
    hourly, off, hook = flow["triggers"]
    assert {k: hourly[k] for k in ("id", "type", "disabled", "cron")} == {
        "id": "hourly", "type": "io.kestra.plugin.core.trigger.Schedule", "disabled": False, "cron": "0 * * * *",
    }
    next_date = datetime.fromisoformat(hourly["nextDate"])
    assert hourly["nextDate"].endswith("Z") and next_date.minute == next_date.second == 0
    assert before < next_date <= before + timedelta(hours=1)
    assert off == {"id": "off", "type": "Schedule", "disabled": True, "cron": "0 0 * * *", "nextDate": None,
                   "withSeconds": False, "timezone": "Etc/UTC"}
    assert hook == {"id": "hook", "type": "io.kestra.plugin.core.trigger.Webhook", "disabled": False, "key": "k1",
                    "wait": False, "returnOutputs": False}
    revisions = stack.client.get("/api/v1/flows/ui.api/described/revisions").json()
    assert revisions[0]["inputs"] == flow["inputs"] and revisions[0]["triggers"][1] == off
    listed = next(f for f in stack.client.get("/api/v1/flows", params={"namespace": "ui.api"}).json() if f["id"] == "described")
    assert listed["inputs"] == flow["inputs"] and listed["triggers"][1] == off


def test_the_graph_of_a_flow_and_of_an_older_revision(stack: Stack) -> None:
    first = (
        "id: drawn\nnamespace: ui.api\n"
        f"tasks:\n  - id: a\n    type: {LOG}\n    message: hi\n"
        f"  - id: fan\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n"
        f"      - id: p1\n        type: {LOG}\n        message: hi\n"
        f"      - id: p2\n        type: {LOG}\n        message: hi\n"
        "  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n"
        "    onResume:\n      - id: ok\n        type: BOOLEAN\n"
    )
    deploy(stack, first)
    deploy(stack, first.replace("  - id: a\n", "  - id: a2\n"))
    graph = stack.client.get("/api/v1/flows/ui.api/drawn/graph")
    assert graph.status_code == 200, graph.text
    body = graph.json()
    assert body["nodes"][0] == {"id": "a2", "type": "Log", "parent": None, "branch": "tasks", "flowable": False}
    assert body["nodes"][1] == {"id": "fan", "type": "Parallel", "parent": None, "branch": "tasks", "flowable": True}
    assert body["nodes"][2]["parent"] == "fan"
    assert body["nodes"][4]["onResume"] == [{"id": "ok", "type": "BOOLEAN", "required": True, "allowCustomValue": False}]
    assert body["edges"] == [{"from": "a2", "to": "fan"}, {"from": "fan", "to": "wait"}]
    older = stack.client.get("/api/v1/flows/ui.api/drawn/graph", params={"revision": 1}).json()
    assert older["nodes"][0]["id"] == "a"

    missing = stack.client.get("/api/v1/flows/ui.api/nowhere/graph")
    assert (missing.status_code, missing.json()) == (404, {"message": "flow ui.api/nowhere not found"})
    no_revision = stack.client.get("/api/v1/flows/ui.api/drawn/graph", params={"revision": 9})
    assert no_revision.status_code == 404
    assert no_revision.json()["message"] == "flow ui.api/drawn has no revision 9 (latest is 2)"


def test_namespaces_with_their_flow_counts(stack: Stack) -> None:
    for flow_id in ("n1", "n2"):
        deploy(stack, f"id: {flow_id}\nnamespace: ui.counted\ntasks:\n  - id: a\n    type: {LOG}\n    message: hi\n")
    deploy(stack, f"id: n3\nnamespace: ui.counted.sub\ntasks:\n  - id: a\n    type: {LOG}\n    message: hi\n")
    namespaces = stack.client.get("/api/v1/flows/namespaces").json()
    assert {"namespace": "ui.counted", "count": 2} in namespaces
    assert {"namespace": "ui.counted.sub", "count": 1} in namespaces
    assert namespaces == sorted(namespaces, key=lambda n: n["namespace"])


def test_flow_search_items_carry_the_last_execution(stack: Stack) -> None:
    namespace = f"ui.last{uuid.uuid4().hex[:6]}"
    for flow_id in ("ran", "idle"):
        deploy(stack, f"id: {flow_id}\nnamespace: {namespace}\ntasks:\n  - id: a\n    type: {LOG}\n    message: hi\n")
    # Same id in another namespace: its executions must not leak into this one's.
    deploy(stack, f"id: ran\nnamespace: {namespace}.x\ntasks:\n  - id: a\n    type: {LOG}\n    message: hi\n")
    now = datetime.now(timezone.utc)
    stack.emit_snapshot("last-old", "FAILED", namespace=namespace, flow_id="ran", created_at=iso(now - timedelta(hours=2)))
    stack.emit_snapshot("last-new", "SUCCESS", namespace=namespace, flow_id="ran", created_at=iso(now - timedelta(hours=1)))
    stack.emit_snapshot("last-other", "RUNNING", namespace=f"{namespace}.x", flow_id="ran", created_at=iso(now))

    def page() -> dict[str, Any] | None:
        body = stack.client.get("/api/v1/flows/search", params={"namespace": namespace}).json()
        items = {(i["namespace"], i["id"]): i for i in body["results"]}
        ready = len(items) == 3 and items[(namespace, "ran")]["lastExecution"] is not None
        ready = ready and items[(f"{namespace}.x", "ran")]["lastExecution"] is not None
        return items if ready else None

    items = stack.eventually(page, timeout_s=30)
    assert items[(namespace, "ran")]["lastExecution"] == {
        "id": "last-new", "state": "SUCCESS", "startDate": iso(now - timedelta(hours=1)),
    }
    assert items[(f"{namespace}.x", "ran")]["lastExecution"]["id"] == "last-other"
    assert items[(namespace, "idle")]["lastExecution"] is None


def test_execution_counts_per_state_over_time(stack: Stack) -> None:
    namespace = f"ui.stats{uuid.uuid4().hex[:6]}"
    end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=24)
    for n, (state, hours_ago) in enumerate([("SUCCESS", 1.5), ("SUCCESS", 1.2), ("FAILED", 1.4), ("SUCCESS", 5.5)]):
        stack.emit_snapshot(f"{namespace}-{n}", state, namespace=namespace, flow_id="counted",
                            created_at=iso(end - timedelta(hours=hours_ago)))
    params = {"startDate": iso(start), "endDate": iso(end), "namespace": namespace}

    def stats() -> dict[str, Any] | None:
        body = stack.client.get("/api/v1/stats/executions", params=params).json()
        return body if sum(sum(b["counts"].values()) for b in body["buckets"]) == 4 else None

    body = stack.eventually(stats, timeout_s=30)
    assert body["interval"] == "1h"
    assert len(body["buckets"]) == 24
    assert body["buckets"][0]["at"] == iso(start)
    by_hour = {b["at"]: b["counts"] for b in body["buckets"]}
    assert by_hour[iso(end - timedelta(hours=2))] == {"SUCCESS": 2, "FAILED": 1}
    assert by_hour[iso(end - timedelta(hours=6))] == {"SUCCESS": 1}
    assert by_hour[iso(end - timedelta(hours=3))] == {}

    one_flow = stack.client.get("/api/v1/stats/executions", params={**params, "flowId": "other"}).json()
    assert all(b["counts"] == {} for b in one_flow["buckets"])
    hour = stack.client.get("/api/v1/stats/executions", params={"startDate": iso(end - timedelta(hours=1)), "endDate": iso(end)})
    assert (hour.json()["interval"], len(hour.json()["buckets"])) == ("1m", 60)
    default = stack.client.get("/api/v1/stats/executions").json()
    assert default["interval"] == "1h" and 24 <= len(default["buckets"]) <= 25

    backwards = stack.client.get("/api/v1/stats/executions", params={"startDate": iso(end), "endDate": iso(start)})
    assert backwards.status_code == 422 and "is not after" in backwards.json()["message"]
    naive = stack.client.get("/api/v1/stats/executions", params={"startDate": "2026-01-01T00:00:00"})
    assert naive.status_code == 422 and "no time zone" in naive.json()["message"]


def test_streamed_log_lines_carry_the_identity_the_logs_api_gives_them(stack: Stack) -> None:
    execution_id = f"ui-sse-{uuid.uuid4().hex[:8]}"
    stack.emit_snapshot(execution_id, "RUNNING")
    stack.eventually(lambda: stack.services.snapshots.get(execution_id) is not None)
    events: list[tuple[str, Any]] = []
    reader = threading.Thread(target=_read_follow, args=(stack.url, execution_id, events), daemon=True)
    reader.start()
    stack.eventually(lambda: stack.services.fanout.followers >= 1)
    now = iso(datetime.now(timezone.utc))
    batch = {
        "execution_id": execution_id, "namespace": "tests", "flow_id": "flow", "task_id": "t1",
        "task_run_id": f"{execution_id}-tr", "attempt": 1,
        "levels": ["INFO", "WARN", "INFO"], "timestamps": [now, now, now], "messages": ["one", "two", "three"],
    }
    stack.producer.produce(stack.topic("logs"), encode_data("log-batch", batch), execution_id.encode())
    stack.producer.flush(10)
    stack.eventually(lambda: sum(kind == "log" for kind, _ in events) == 3)
    stack.emit_snapshot(execution_id, "SUCCESS")
    reader.join(timeout=30)
    streamed = [(data["offset"], data["line"], data["message"]) for kind, data in events if kind == "log"]
    offset = streamed[0][0]
    assert isinstance(offset, int) and streamed == [(offset, 0, "one"), (offset, 1, "two"), (offset, 2, "three")]

    def listed() -> list[tuple[int, int, str]] | None:
        items = stack.client.get(f"/api/v1/logs/{execution_id}").json()
        return [(i["offset"], i["line"], i["message"]) for i in items] if len(items) == 3 else None

    assert stack.eventually(listed, timeout_s=30) == streamed


def _read_follow(url: str, execution_id: str, events: list[tuple[str, Any]]) -> None:
    with httpx.Client(base_url=url, timeout=30) as client, \
            client.stream("GET", f"/api/v1/executions/{execution_id}/follow") as response:
        kind = "execution"
        for line in response.iter_lines():
            if not line:
                kind = "execution"
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("id: "):
                kind = "end" if line == "id: end" else "execution"
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
                if kind in ("end", "dropped"):
                    return
