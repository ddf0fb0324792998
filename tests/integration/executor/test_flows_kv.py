"""The KV store end to end: kv.Set/Get/Delete/GetKeys, kv() and the state tasks on the real stack.

An executor (its stream process forked, so its `kv()` reads a table of its own) and a worker
run flows that write and read the `kv` topic. Each flow reads right after it wrote, in the
worker (kv.Get) and in the executor (an If condition calling `kv()`), which is the
read-your-writes promise; outputs and final states are those Kestra's documentation gives.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from harrier.core.kv import KVType
from harrier.kv.store import TopicKVStore
from harrier.topics import build_specs, create_admin, ensure_topics

sys.path.insert(0, str(Path(__file__).parent))

from test_flows import TOPICS, Stack, _settings, running  # noqa: E402

pytestmark = pytest.mark.integration

KV_FLOW = """
id: kv
namespace: company.team
tasks:
  - id: set_number
    type: io.kestra.plugin.core.kv.Set
    key: orders
    value: "42"
    kvType: NUMBER
  - id: set_json
    type: io.kestra.plugin.core.kv.Set
    key: config
    value: '{"region": "eu", "retries": 3}'
    kvType: JSON
    ttl: PT1H
    kvDescription: the config
  - id: set_parent
    type: io.kestra.plugin.core.kv.Set
    namespace: company
    key: shared
    value: "from {{ flow.namespace }}"
  - id: set_short
    type: io.kestra.plugin.core.kv.Set
    key: short
    value: soon gone
    ttl: PT1S
  - id: get
    type: io.kestra.plugin.core.kv.Get
    key: orders
  - id: missing
    type: io.kestra.plugin.core.kv.Get
    key: nothing
  - id: keys
    type: io.kestra.plugin.core.kv.GetKeys
    prefix: o
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{ kv('orders') == 42 }}"
    then:
      - id: rendered
        type: io.kestra.plugin.core.debug.Return
        format: "{{ kv('orders') + 1 }} {{ kv('config').region }} {{ kv('shared') }} [{{ kv('nothing', errorOnMissing=false) }}]"
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1.5S
  - id: expired
    type: io.kestra.plugin.core.kv.Get
    key: short
  - id: delete
    type: io.kestra.plugin.core.kv.Delete
    key: orders
  - id: delete_again
    type: io.kestra.plugin.core.kv.Delete
    key: orders
  - id: after
    type: io.kestra.plugin.core.kv.Get
    key: orders
"""

NO_OVERWRITE = """
id: no_overwrite
namespace: company.team
tasks:
  - id: first
    type: io.kestra.plugin.core.kv.Set
    key: once
    value: first
  - id: second
    type: io.kestra.plugin.core.kv.Set
    key: once
    value: second
    overwrite: false
"""

MISSING = """
id: missing_key
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ kv('NON_EXISTING_KV_PAIR') }}"
"""

STATE = """
id: states
namespace: company.team
tasks:
  - id: set_a
    type: io.kestra.plugin.core.state.Set
    data: {a: 1, nested: {x: 1}}
  - id: set_b
    type: io.kestra.core.tasks.states.Set
    data: {b: "{{ 1 + 1 }}", nested: {y: 2}}
  - id: get
    type: io.kestra.plugin.core.state.Get
  - id: delete
    type: io.kestra.plugin.core.state.Delete
  - id: gone
    type: io.kestra.plugin.core.state.Get
"""


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = _settings(kafka_bootstrap, tmp_path_factory.mktemp("storage"))
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs[name] for name in (*TOPICS, "kv")])
    helper = Stack(settings)
    for source in (KV_FLOW, NO_OVERWRITE, MISSING, STATE):
        helper.deploy(source)
    with running(settings, "e2e-kv"):
        yield helper


def _outputs(state: dict) -> dict[str, dict]:
    return {tr["task_id"]: tr.get("outputs", {}) for tr in state["task_runs"]}


def test_kv_tasks_and_function_read_their_own_writes(stack: Stack) -> None:
    # The first execution of the module also waits for the executor process to start.
    state = stack.ended(stack.start("company.team", "kv"), timeout=180)
    assert state["state"] == "SUCCESS", state.get("error")
    outputs = _outputs(state)
    assert outputs["set_number"] == {}
    assert outputs["get"] == {"value": 42}
    assert outputs["missing"] == {"value": None}
    assert outputs["keys"] == {"keys": ["orders"]}
    # The If ran in the executor's process and the Return in the worker's: both saw the writes,
    # the parent namespace's key by inheritance, and the missing one as null.
    assert outputs["rendered"] == {"value": "43 eu from company.team []"}
    assert outputs["expired"] == {"value": None}
    assert outputs["delete"] == {"deleted": True}
    assert outputs["delete_again"] == {"deleted": False}
    assert outputs["after"] == {"value": None}

    # What the topic holds, as another process reads it.
    store = TopicKVStore(stack.settings, "e2e-kv-reader")
    try:
        config = store.get("company.team", "config")
        assert config is not None and config.type is KVType.JSON
        assert config.value == {"region": "eu", "retries": 3} and config.description == "the config"
        assert config.expires is not None
        assert timedelta(minutes=59) < config.expires - datetime.now(timezone.utc) <= timedelta(hours=1)
        assert store.get("company.team", "orders") is None
        shared = store.get("company", "shared")
        assert shared is not None and shared.type is KVType.STRING
    finally:
        store.close()


def test_overwrite_false_fails_on_an_existing_key(stack: Stack) -> None:
    state = stack.ended(stack.start("company.team", "no_overwrite"), timeout=60)
    assert state["state"] == "FAILED"
    second = next(tr for tr in state["task_runs"] if tr["task_id"] == "second")
    assert second["state"] == "FAILED"
    assert "Key already exists and `overwrite` is set to `false`" in second["error"]


def test_kv_function_fails_on_a_missing_key_by_default(stack: Stack) -> None:
    state = stack.ended(stack.start("company.team", "missing_key"), timeout=60)
    assert state["state"] == "FAILED"
    hello = state["task_runs"][0]
    assert "The key 'NON_EXISTING_KV_PAIR' does not exist in the namespace 'company.team'." in hello["error"]


def test_deprecated_state_tasks_merge_read_and_delete(stack: Stack) -> None:
    state = stack.ended(stack.start("company.team", "states"), timeout=60)
    assert state["state"] == "SUCCESS", state.get("error")
    outputs = _outputs(state)
    assert outputs["set_a"]["count"] == 2
    assert outputs["set_b"]["count"] == 3 and outputs["set_b"]["key"] == outputs["set_a"]["key"]
    assert outputs["get"] == {"count": 3, "data": {"a": 1, "b": 2, "nested": {"x": 1, "y": 2}}}
    assert outputs["delete"] == {"deleted": True}
    assert outputs["gone"] == {"count": 0, "data": {}}


def test_the_kv_counter_example_counts_its_runs(stack: Stack) -> None:
    stack.deploy((Path(__file__).parents[3] / "examples" / "kv_counter.yml").read_text())
    for _ in range(2):
        state = stack.ended(stack.start("examples", "kv-counter"), timeout=60)
        assert state["state"] == "SUCCESS", state.get("error")
    assert _outputs(state)["keys"] == {"keys": ["runs"]}
    store = TopicKVStore(stack.settings, "e2e-kv-example")
    try:
        runs = store.get("examples", "runs")
        assert runs is not None and (runs.type, runs.value) == (KVType.NUMBER, 2)
        assert runs.description == "how many times kv-counter ran in the last day"
    finally:
        store.close()
