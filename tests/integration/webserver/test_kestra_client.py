"""Kestra's own Python client (kestrapy 2.0.3) drives Harrier: a real `harrier server standalone`
(executor, worker, indexer, webserver) on the real broker and Elasticsearch.

Create a flow from YAML, start an execution with inputs, follow it to SUCCESS, read its logs,
search; then the other commands (kill, resume, restart, delete) and the tenant check.

Client limits met on the way, each worked around where it is used:
- kestrapy's ``State`` requires ``getDuration``/``getStartDate``/``getEndDate``, names its
  generator made of Kestra's read-only getters; Kestra (``State.java``) and Harrier send
  ``duration``/``startDate``/``endDate``. ``from_dict`` refuses every real body, and the client
  falls back to an unvalidated model (``BaseApi._construct_model``): values are all there, the
  nested ``state`` stays a plain dict.
- ``follow_execution`` yields every SSE event's data as an Execution, whatever its event name,
  so Harrier's named ``log`` events come out too: they are told apart by their ``state`` (None).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("kestrapy")

from kestrapy import KestraClient  # noqa: E402
from kestrapy.exceptions import ConflictException, NotFoundException, UnprocessableEntityException  # noqa: E402

from tests.integration.standalone import free_port, standalone  # noqa: E402

pytestmark = pytest.mark.integration

TENANT = "main"
FLOW = """\
id: greet
namespace: kestra.client
labels:
  team: sdk
inputs:
  - id: name
    type: STRING
  - id: times
    type: INT
    defaults: 1
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "hello {{ inputs.name }} x{{ inputs.times }}"
outputs:
  - id: greeting
    type: STRING
    value: "{{ inputs.name }}"
"""
PAUSING = """\
id: waits
namespace: kestra.client
tasks:
  - id: hold
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: resumed
"""
FAILING = """\
id: fails
namespace: kestra.client
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: on purpose
"""


@pytest.fixture(scope="module")
def server(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("kestra-client")
    with standalone(home, kafka_bootstrap, es_url, tag=f"kpy{os.getpid()}x{free_port()}") as url:
        yield url


@pytest.fixture(scope="module")
def kestra(server: str) -> KestraClient:
    return KestraClient(host=server, timeout=60)


def state_of(execution: Any) -> str | None:
    """The current state of a client Execution (a plain dict when from_dict refused it)."""
    state = getattr(execution, "state", None)
    if state is None:
        return None
    current = state["current"] if isinstance(state, dict) else state.current
    return getattr(current, "value", current)


def wait_for(kestra: KestraClient, execution_id: str, wanted: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            execution = kestra.executions.execution(execution_id, TENANT)
        except NotFoundException:
            execution = None
        if execution is not None and state_of(execution) == wanted:
            return execution
        time.sleep(0.3)
    pytest.fail(f"execution {execution_id} not {wanted} within {timeout_s}s")


def test_create_run_follow_and_read_logs_with_kestras_client(kestra: KestraClient, server: str) -> None:
    flow = kestra.flows.create_flow(TENANT, FLOW)
    assert (flow.id, flow.namespace, flow.revision, flow.source) == ("greet", "kestra.client", 1, FLOW)
    assert [(label.key, label.value) for label in flow.labels] == [("team", "sdk")]
    got = kestra.flows.flow("kestra.client", "greet", TENANT, source=True)
    assert got.source == FLOW and [task.id for task in got.tasks] == ["hello"]

    created = kestra.executions.create_execution(
        TENANT, "kestra.client", "greet", labels=["run:sdk"], inputs={"name": "Ada", "times": 3},
    )
    assert (created.namespace, created.flow_id, state_of(created)) == ("kestra.client", "greet", "CREATED")

    events = list(kestra.executions.follow_execution(created.id, TENANT))
    executions = [event for event in events if state_of(event) is not None]
    logs = [event for event in events if state_of(event) is None]
    assert state_of(executions[-1]) == "SUCCESS"
    final = executions[-1]
    assert final.inputs == {"name": "Ada", "times": 3}
    assert {(label.key, label.value) for label in final.labels} >= {("run", "sdk"), ("team", "sdk")}
    assert [run.task_id for run in final.task_run_list] == ["hello"]
    assert final.state.end_date is not None and final.state.duration.startswith("PT")
    # A log event is a LogEntry (read here as kestrapy made it, an Execution without a state).
    assert "hello Ada x3" in [event.additional_properties.get("message") for event in logs]

    execution = kestra.executions.execution(created.id, TENANT)
    assert state_of(execution) == "SUCCESS" and execution.additional_properties["outputs"] == {"greeting": "Ada"}

    deadline = time.monotonic() + 30
    while not (entries := kestra.logs.list_logs_from_execution(created.id, TENANT)) and time.monotonic() < deadline:
        time.sleep(0.3)  # The indexer trails the logs topic by its flush interval.
    messages = [entry.message for entry in entries]
    assert "hello Ada x3" in messages
    hello = entries[messages.index("hello Ada x3")]
    assert (hello.namespace, hello.flow_id, hello.task_id, hello.execution_id) == (
        "kestra.client", "greet", "hello", created.id
    )
    assert hello.attempt_number == 0 and hello.level.value == "INFO"
    assert hello.task_run_id == final.task_run_list[0].id

    searched = kestra.logs.search_logs(TENANT, page=1, size=50, filters=[
        {"field": "executionId", "operation": "EQUALS", "value": created.id},
    ])
    assert "hello Ada x3" in [entry.message for entry in searched.results]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = kestra.executions.search_executions(TENANT, page=1, size=10, filters=[
            {"field": "namespace", "operation": "EQUALS", "value": "kestra.client"},
            {"field": "state", "operation": "IN", "value": ["SUCCESS"]},
        ])
        if any(result["id"] == created.id for result in found["results"]):
            break
        time.sleep(0.3)
    hit = next(result for result in found["results"] if result["id"] == created.id)
    assert found["total"] >= 1 and hit["state"]["current"] == "SUCCESS" and hit["flowId"] == "greet"
    flows = kestra.flows.search_flows(TENANT, page=1, size=10, filters=[
        {"field": "namespace", "operation": "EQUALS", "value": "kestra.client"},
    ])
    assert "greet" in [result.id for result in flows.results]


def test_wait_kill_resume_restart_and_delete(kestra: KestraClient, server: str) -> None:
    kestra.flows.create_flow(TENANT, PAUSING)
    kestra.flows.create_flow(TENANT, FAILING)

    paused = kestra.executions.create_execution(TENANT, "kestra.client", "waits")
    wait_for(kestra, paused.id, "PAUSED")
    kestra.executions.resume_execution(paused.id, TENANT)
    wait_for(kestra, paused.id, "SUCCESS")

    killed = kestra.executions.create_execution(TENANT, "kestra.client", "waits")
    wait_for(kestra, killed.id, "PAUSED")
    kestra.executions.kill_execution(killed.id, TENANT)
    wait_for(kestra, killed.id, "KILLED")

    failed = kestra.executions.create_execution(TENANT, "kestra.client", "fails", wait=True)
    assert state_of(failed) == "FAILED"
    assert failed.metadata.attempt_number == 1
    kestra.executions.restart_execution(failed.id, TENANT)
    deadline = time.monotonic() + 60
    while kestra.executions.execution(failed.id, TENANT).metadata.attempt_number != 2:
        assert time.monotonic() < deadline, "the restart did not run"
        time.sleep(0.3)
    wait_for(kestra, failed.id, "FAILED")

    running = kestra.executions.create_execution(TENANT, "kestra.client", "waits")
    wait_for(kestra, running.id, "PAUSED")
    with pytest.raises(ConflictException, match="kill it first"):
        kestra.executions.delete_execution(running.id, TENANT)
    kestra.executions.kill_execution(running.id, TENANT)
    wait_for(kestra, running.id, "KILLED")
    kestra.executions.delete_execution(running.id, TENANT)
    response = httpx.get(f"{server}/api/v1/{TENANT}/executions/{running.id}")
    assert response.status_code == 404 and response.json()["message"] == f"execution {running.id} not found"

    with pytest.raises(UnprocessableEntityException, match="invalid inputs"):
        kestra.flows.create_flow(TENANT, FLOW)
        kestra.executions.create_execution(TENANT, "kestra.client", "greet", inputs={"name": "x", "times": "many"})

    kestra.flows.delete_flow("kestra.client", "fails", TENANT)
    with pytest.raises(NotFoundException):
        kestra.flows.flow("kestra.client", "fails", TENANT)


def test_another_tenant_is_a_404_that_says_there_is_one(server: str) -> None:
    response = httpx.get(f"{server}/api/v1/acme/executions/search")
    assert response.status_code == 404
    assert response.json() == {"message": "tenant acme does not exist: Harrier has one tenant, main"}
    unsupported = httpx.get(f"{server}/api/v1/main/executions/search", params={"filters[kind][EQUALS]": "TEST"})
    assert unsupported.status_code == 422
    assert unsupported.json()["message"] == "filter filters[kind][EQUALS]: Harrier does not support kind EQUALS in this search"
