"""Kestra's trigger types and conditions end to end: a real standalone (scheduler, executor,
worker, indexer, webserver) runs the documented flows, and each test checks the executions
they start with their final state and outputs.

One standalone for the module; the triggers fire within seconds (dates a few seconds ahead,
upstream executions started by webhook calls).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.integration.standalone import free_port, standalone

pytestmark = pytest.mark.integration

YAML = {"Content-Type": "application/x-yaml"}
API = "/api/v1/main"
TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"}


@pytest.fixture(scope="module")
def api(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    home = tmp_path_factory.mktemp("triggers")
    with standalone(home, kafka_bootstrap, es_url, tag=f"trig{os.getpid()}x{free_port()}") as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


def deploy(api: httpx.Client, source: str) -> None:
    response = api.post(f"{API}/flows", content=source, headers=YAML)
    assert response.is_success, response.text


def ended(api: httpx.Client, namespace: str, flow_id: str, count: int, timeout_s: float = 60) -> list[dict[str, Any]]:
    """Wait for ``count`` ended executions of a flow; each as GET answers it (with outputs)."""
    deadline = time.monotonic() + timeout_s
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        search = api.get(f"{API}/executions/search", params={"namespace": namespace, "flowId": flow_id, "size": 50})
        if search.status_code == 200:
            ids = [e["id"] for e in search.json()["results"]]
            found = [api.get(f"{API}/executions/{i}").json() for i in ids]
            if len(found) >= count and all(e["state"]["current"] in TERMINAL for e in found):
                return sorted(found, key=lambda e: e["state"]["startDate"])
        time.sleep(0.5)
    raise AssertionError(f"{len(found)} executions of {namespace}/{flow_id}, expected {count} ended: {found}")


def hook(api: httpx.Client, namespace: str, flow_id: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(f"{API}/executions/webhook/{namespace}/{flow_id}/k3y", json=body)


def test_schedule_on_dates_with_day_conditions(api: httpx.Client) -> None:
    now = datetime.now(timezone.utc)
    # Far enough ahead for the flow to reach the scheduler first on a busy machine.
    first, second = (now + timedelta(seconds=10)).replace(microsecond=0), (now + timedelta(seconds=11)).replace(microsecond=0)
    today = now.astimezone(timezone(timedelta(hours=9))).strftime("%A").upper()
    deploy(api, f"""id: on-dates
namespace: company.triggers
tasks:
  - id: when
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ trigger.date }}}}"
outputs:
  - id: date
    type: STRING
    value: "{{{{ outputs.when.value }}}}"
triggers:
  - id: listed
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    timezone: Asia/Tokyo
    dates: ["{first.isoformat()}", "{second.isoformat()}"]
    conditions:
      - type: io.kestra.plugin.core.condition.DayWeek
        dayOfWeek: {today}
  - id: refused
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    timezone: Asia/Tokyo
    dates: ["{first.isoformat()}"]
    conditions:
      - type: io.kestra.plugin.core.condition.Not
        conditions:
          - type: io.kestra.plugin.core.condition.DayWeek
            dayOfWeek: {today}
""")
    executions = ended(api, "company.triggers", "on-dates", 2)
    time.sleep(2)  # the refused trigger's date has passed too: nothing more
    assert len(ended(api, "company.triggers", "on-dates", 2)) == 2
    tokyo = timezone(timedelta(hours=9))
    assert [e["state"]["current"] for e in executions] == ["SUCCESS", "SUCCESS"]
    assert [e["trigger"]["id"] for e in executions] == ["listed", "listed"]
    assert [e["outputs"]["date"] for e in executions] == [first.astimezone(tokyo).isoformat(), second.astimezone(tokyo).isoformat()]


def test_preconditions_wait_for_both_upstream_flows_and_merge_their_outputs(api: httpx.Client) -> None:
    for flow_id, task in (("extract", 'format: "2026-01-01"'), ("load", 'format: "{{ trigger.body.rows }}"')):
        deploy(api, f"""id: {flow_id}
namespace: company.team
tasks:
  - id: result
    type: io.kestra.plugin.core.debug.Return
    {task}
outputs:
  - id: {"date" if flow_id == "extract" else "rows"}
    type: STRING
    value: "{{{{ outputs.result.value }}}}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k3y
""")
    # Kestra's documented transform, waiting for two flows of the company namespaces in a day.
    deploy(api, """id: transform
namespace: company.team
inputs:
  - id: date
    type: STRING
    defaults: "2025-01-01"
tasks:
  - id: run_transform
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.date }}: {{ trigger.outputs.rows }} rows after {{ trigger.flowId }}"
outputs:
  - id: summary
    type: STRING
    value: "{{ outputs.run_transform.value }}"
triggers:
  - id: run_after_extract_and_load
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      date: "{{ trigger.outputs.date }}"
    preconditions:
      id: extract_and_load
      timeWindow:
        type: DURATION_WINDOW
        window: P1D
      flows:
        - namespace: company.team
          flowId: extract
          states: [SUCCESS]
        - namespace: company.team
          flowId: load
          states: [SUCCESS]
      where:
        - id: company
          filters:
            - field: NAMESPACE
              type: STARTS_WITH
              value: company
""")
    assert hook(api, "company.team", "extract", {}).status_code == 200
    ended(api, "company.team", "extract", 1)
    time.sleep(2)
    search = api.get(f"{API}/executions/search", params={"namespace": "company.team", "flowId": "transform"})
    assert search.json()["results"] == []  # load has not run yet
    assert hook(api, "company.team", "load", {"rows": 3}).status_code == 200
    [transform] = ended(api, "company.team", "transform", 1)
    assert transform["state"]["current"] == "SUCCESS"
    assert transform["inputs"] == {"date": "2026-01-01"}
    assert transform["outputs"] == {"summary": "2026-01-01: 3 rows after load"}
    # The window reset on success: one more load alone starts nothing.
    assert hook(api, "company.team", "load", {"rows": 4}).status_code == 200
    ended(api, "company.team", "load", 2)
    time.sleep(2)
    assert len(ended(api, "company.team", "transform", 1)) == 1


def test_execution_outputs_condition_and_webhook_conditions(api: httpx.Client) -> None:
    deploy(api, """id: flow_a
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.body.user_value }}"
outputs:
  - id: flow_a_output
    type: STRING
    value: "{{ outputs.hello.value }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k3y
    conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ trigger.body.user_value is defined }}"
""")
    deploy(api, """id: flow_condition_executionoutputs
namespace: company.team
tasks:
  - id: upstream_outputs
    type: io.kestra.plugin.core.debug.Return
    format: "hello from a downstream flow of {{ trigger.executionId }}"
triggers:
  - id: condition_on_flow_execution_outputs
    type: io.kestra.plugin.core.trigger.Flow
    states:
      - SUCCESS
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: company.team
        flowId: flow_a
      - type: io.kestra.plugin.core.condition.ExecutionOutputs
        expression: "{{ trigger.outputs.flow_a_output == 'hello' }}"
""")
    refused = hook(api, "company.team", "flow_a", {"other": 1})
    assert refused.status_code == 204 and refused.content == b""
    hello = hook(api, "company.team", "flow_a", {"user_value": "hello"})
    assert hello.status_code == 200, hello.text
    assert hook(api, "company.team", "flow_a", {"user_value": "bye"}).status_code == 200
    upstream = ended(api, "company.team", "flow_a", 2)
    assert sorted(e["outputs"]["flow_a_output"] for e in upstream) == ["bye", "hello"]
    time.sleep(1)
    [downstream] = ended(api, "company.team", "flow_condition_executionoutputs", 1)
    assert downstream["state"]["current"] == "SUCCESS"
    assert downstream["trigger"]["variables"]["executionId"] == hello.json()["id"]
    assert downstream["taskRunList"][0]["outputs"]["value"] == f"hello from a downstream flow of {hello.json()['id']}"


def test_http_trigger_polls_until_its_response_condition_holds(api: httpx.Client) -> None:
    # The endpoint polled is this standalone's own API: the flow below answers 404 until deployed.
    target = f"{api.base_url}{API}/flows/company.polled/target"
    deploy(api, f"""id: http_trigger
namespace: company.team
tasks:
  - id: code
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ trigger.code }}}} {{{{ json(trigger.body).id }}}}"
outputs:
  - id: answer
    type: STRING
    value: "{{{{ outputs.code.value }}}}"
triggers:
  - id: http
    type: io.kestra.plugin.core.http.Trigger
    uri: "{target}"
    responseCondition: "{{{{ response.statusCode == 200 }}}}"
    interval: PT1S
    stopAfter:
      - SUCCESS
""")
    time.sleep(3)  # a few polls answered 404: nothing started
    search = api.get(f"{API}/executions/search", params={"namespace": "company.team", "flowId": "http_trigger"})
    assert search.json()["results"] == []
    deploy(api, "id: target\nnamespace: company.polled\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n")
    [execution] = ended(api, "company.team", "http_trigger", 1)
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["outputs"] == {"answer": "200 target"}
    assert execution["trigger"]["variables"]["uri"] == target and execution["trigger"]["variables"]["code"] == 200
    time.sleep(3)  # stopAfter SUCCESS disabled the trigger: no second execution
    assert len(ended(api, "company.team", "http_trigger", 1)) == 1
