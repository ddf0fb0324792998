"""An execution never vanishes, end to end through the broker: each kind of error met while
processing an execution's records ends it FAILED with the message on the task run that caused
it (or on the execution), and none of its records becomes a dead letter.

One executor and one worker (`test_flows.py`'s helpers) on topics of this module's own, with
`worker-tasks` limited to 64 KiB so one worker task can be too large for it.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from harrier.config import Settings
from harrier.topics import build_specs, create_admin, create_consumer, ensure_topics, read_dead_letter
from harrier.topics.serdes import encode_key

# pytest runs with importlib mode: make the sibling module importable by name.
sys.path.insert(0, str(Path(__file__).parent))

from test_flows import TOPICS, Stack, running  # noqa: E402

pytestmark = pytest.mark.integration

WORKER_TASKS_LIMIT = 64 * 1024

FLOWS = {
    # An expression built at run time: validation cannot see what the input will hold.
    "runtime-expression": """
        id: runtime-expression
        namespace: e2e
        inputs:
          - {id: expr, type: STRING}
        tasks:
          - id: route
            type: Switch
            value: "{{ render(inputs.expr) }}"
            cases:
              a: [{id: ra, type: Log, message: a}]
    """,
    # Put on the flows topic without a deploy: the flow table refuses it and says why.
    "bypassed-validation": """
        id: bypassed-validation
        namespace: e2e
        tasks:
          - id: route
            type: Switch
            value: "{{ taskrun.value is wobbly }}"
            cases:
              a: [{id: ra, type: Log, message: a}]
    """,
    "broken-child": """
        id: broken-child
        namespace: e2e
        tasks:
          - {id: boom, type: Fail, errorMessage: child failed}
    """,
    # The render error comes while the executor handles the child's end, not when a task starts.
    "render-error": """
        id: render-error
        namespace: e2e
        tasks:
          - id: call
            type: Subflow
            namespace: e2e
            flowId: broken-child
            transmitFailed: "{{ 1 // 0 }}"
          - {id: never, type: Log, message: never}
    """,
    # Validation refuses a call of an unknown function it can see; one inside a string that
    # render() turns into a template is met only when it runs.
    "undefined-function": """
        id: undefined-function
        namespace: e2e
        tasks:
          - {id: hello, type: Log, message: '{{ render("{{ nosuch(1) }}") }}'}
    """,
    "output-too-large": """
        id: output-too-large
        namespace: e2e
        inputs:
          - {id: big, type: STRING}
        tasks:
          - {id: echo, type: Log, message: "{{ inputs.big }}"}
    """,
    # A task's output is data of the wrong kind for the ForEach that reads it.
    "bad-value": """
        id: bad-value
        namespace: e2e
        tasks:
          - {id: first, type: Return, format: not a list}
          - id: each
            type: ForEach
            values: "{{ outputs.first.value }}"
            tasks:
              - {id: item, type: Log, message: "{{ taskrun.value }}"}
    """,
    # Deleted while it runs: its Sleep's result finds the flow gone.
    "deleted": """
        id: deleted
        namespace: e2e
        tasks:
          - {id: nap, type: Sleep, duration: PT2S}
          - {id: never, type: Log, message: never}
    """,
}


def _settings(bootstrap: str, storage: Path) -> Settings:
    return Settings.model_validate(
        {
            "kafka": {"bootstrap-servers": bootstrap, "consumer": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}},
            "topics": {
                "prefix": f"e2e-fail-{uuid.uuid4().hex[:8]}.",
                "partitions": 2,
                "overrides": {"worker-tasks": {"max-message-bytes": WORKER_TASKS_LIMIT}},
            },
            "executor": {"stream-threads": 1},
            "worker": {"threads": 4},
            "storage": {"base-path": str(storage)},
        }
    )


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = _settings(kafka_bootstrap, tmp_path_factory.mktemp("storage"))
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs[name] for name in TOPICS])
    helper = Stack(settings)
    for source in FLOWS.values():
        helper.deploy(source)
    with running(settings, "e2e-fail"):
        yield helper


def _failed(stack: Stack, execution_id: str) -> dict[str, Any]:
    state = stack.ended(execution_id)
    assert state["state"] == "FAILED", state
    return state


def _task_run(state: dict[str, Any], task_id: str) -> dict[str, Any]:
    [tr] = [tr for tr in state["task_runs"] if tr["task_id"] == task_id]
    return tr


def _dead_letter_keys(stack: Stack) -> set[bytes]:
    reader = create_consumer(stack.settings, None, f"e2e-fail-dead-{uuid.uuid4().hex[:6]}")
    topic = stack.prefix + "dead-letters"
    partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
    reader.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    keys: set[bytes] = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        for message in reader.consume(100, 0.5):
            if message.error() is None:
                keys.add(read_dead_letter(message).key)
    reader.close()
    return keys


def test_a_compile_error_in_an_expression_built_at_run_time_fails_its_task_run(stack: Stack) -> None:
    execution_id = stack.start("e2e", "runtime-expression", {"expr": "{{ taskrun.value is wobbly }}"})
    state = _failed(stack, execution_id)
    route = _task_run(state, "route")
    assert route["state"] == "FAILED"
    assert "no test named 'wobbly'" in route["error"] and route["error"].startswith("route.value: ")
    assert state["error"] == f"task route failed: {route['error']}"
    assert execution_id.encode() not in _dead_letter_keys(stack)


def test_a_flow_on_the_topic_that_bypassed_validation_fails_its_executions_saying_why(stack: Stack) -> None:
    execution_id = stack.start("e2e", "bypassed-validation")
    state = _failed(stack, execution_id)
    assert state["error"].startswith("flow e2e/bypassed-validation is invalid: ")
    assert "tasks[0].value: invalid expression '{{ taskrun.value is wobbly }}': no test named 'wobbly'" in state["error"]


def test_a_render_error_while_handling_a_child_s_end_fails_the_subflow_task_run(stack: Stack) -> None:
    execution_id = stack.start("e2e", "render-error")
    state = _failed(stack, execution_id)
    call = _task_run(state, "call")
    assert call["state"] == "FAILED"
    assert call["error"] == "call.transmitFailed: in '{{ 1 // 0 }}': integer division or modulo by zero"
    assert [tr["task_id"] for tr in state["task_runs"]] == ["call"]
    child = stack.ended(call["outputs"]["executionId"])
    assert child["state"] == "FAILED"
    assert execution_id.encode() not in _dead_letter_keys(stack)


def test_an_undefined_function_fails_the_task_that_calls_it(stack: Stack) -> None:
    state = _failed(stack, stack.start("e2e", "undefined-function"))
    hello = _task_run(state, "hello")
    assert hello["state"] == "FAILED" and "undefined variable 'nosuch'" in hello["error"]


def test_a_worker_task_too_large_for_its_topic_fails_its_task_run(stack: Stack) -> None:
    execution_id = stack.start("e2e", "output-too-large", {"big": "x" * (WORKER_TASKS_LIMIT + 1000)})
    state = _failed(stack, execution_id)
    echo = _task_run(state, "echo")
    assert echo["state"] == "FAILED"
    assert echo["error"].startswith("output to worker-tasks is ")
    assert echo["error"].endswith(f"over the topic's max.message.bytes of {WORKER_TASKS_LIMIT}")
    assert execution_id.encode() not in _dead_letter_keys(stack)


def test_a_task_output_of_the_wrong_kind_fails_the_flowable_that_reads_it(stack: Stack) -> None:
    state = _failed(stack, stack.start("e2e", "bad-value"))
    each = _task_run(state, "each")
    assert each["state"] == "FAILED"
    assert each["error"] == "each.values: expected a list or a JSON array, got the text 'not a list'"


def test_an_execution_whose_flow_is_deleted_while_it_runs_fails_saying_so(stack: Stack) -> None:
    execution_id = stack.start("e2e", "deleted")
    stack.wait(execution_id, lambda s: bool(s["task_runs"]) and s["task_runs"][0]["state"] == "RUNNING")
    stack.producer.produce(stack.prefix + "flows", key=encode_key("e2e/deleted"), value=None)
    assert stack.producer.flush(10) == 0
    state = _failed(stack, execution_id)
    assert state["error"] == f"execution {execution_id}: flow e2e/deleted revision 1 is not in the flow table"
    assert [(tr["task_id"], tr["state"]) for tr in state["task_runs"]] == [("nap", "KILLED")]
    assert execution_id.encode() not in _dead_letter_keys(stack)
