"""Security from the outside, with the whole product running (its own topics and indices).

- A SECRET input's value reaches no topic, no index, no stored file and no API answer: a flow
  receives one, prints it from a shell script and logs it from a Log task; then every record of
  every topic (aborted transactions included), every document of every index, every file of
  the internal storage and the API's answers are searched for it.
- Scripts of a worker running as root run as ``nobody``, in a folder of their own: they cannot
  list the other runs' folders, read another execution's stored files, or see the worker's
  settings in their environment.
- Bodies and inputs over their limits are refused with 413 naming the setting.
- A create or a webhook call retried with the same ``Idempotency-Key`` yields one execution.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.integration.standalone import free_port, standalone

pytestmark = pytest.mark.integration

SECRET = "hunter2-Zq8-secret-value"
FLOW = """
id: secret-user
namespace: sec
inputs:
  - id: token
    type: SECRET
tasks:
  - id: script
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "the token is {{ inputs.token }}"
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "logged: {{ inputs.token }}"
  - id: child
    type: io.kestra.plugin.core.flow.Subflow
    namespace: sec
    flowId: secret-child
    wait: true
    transmitFailed: true
    inputs:
      token: "{{ inputs.token }}"
      plain: "as text: {{ inputs.token }}"
"""
# The child gets the secret as a SECRET and inside a STRING: its create travels on
# `executions`, where the value must be sealed as well.
CHILD = """
id: secret-child
namespace: sec
inputs:
  - {id: token, type: SECRET}
  - {id: plain, type: STRING}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "child logged: {{ inputs.token }} / {{ inputs.plain }}"
"""


@pytest.fixture(scope="module")
def product(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    home = tmp_path_factory.mktemp("secrets")
    tag = f"sec{os.getpid()}x{free_port()}"
    # A setting from the environment, as containers pass them: scripts must not see it.
    os.environ["HARRIER__WORKER__PROBE_HOST"] = "127.0.0.1"
    try:
        with standalone(home, kafka_bootstrap, es_url, tag=tag) as url:
            yield url, tag, home
    finally:
        del os.environ["HARRIER__WORKER__PROBE_HOST"]


def _deploy(url: str, flow: str) -> dict:
    deployed = httpx.post(f"{url}/api/v1/main/flows", content=flow, headers={"Content-Type": "application/x-yaml"},
                          timeout=30)
    assert deployed.status_code in (200, 201), deployed.text
    return deployed.json()


def _run_flow(url: str, flow: str, inputs: dict[str, str], lines: int) -> tuple[str, list[dict]]:
    """Deploy ``flow``, run it to SUCCESS, and return its id and log lines (at least ``lines``
    of its tasks, once the indexer has them)."""
    api = f"{url}/api/v1/main"
    body = _deploy(url, flow)
    started = httpx.post(f"{api}/executions/{body['namespace']}/{body['id']}", params={"wait": "true"},
                         files={name: (None, value) for name, value in inputs.items()}, timeout=90)
    assert started.status_code == 200, started.text
    execution = started.json()
    assert execution["state"]["current"] == "SUCCESS", execution
    return execution["id"], _logs(api, execution["id"], lines)


def _logs(api: str, execution_id: str, lines: int) -> list[dict]:
    # The indexer ships the log lines shortly after the end.
    deadline = time.monotonic() + 90
    while True:
        answer = httpx.get(f"{api}/logs/{execution_id}", timeout=30)
        # 503 while the day's log index, created by the first line, has a shard still starting.
        logs = answer.json() if answer.status_code != 503 else []
        if len([line for line in logs if line["taskId"]]) >= lines or time.monotonic() > deadline:
            assert answer.status_code == 200, answer.text
            return logs
        time.sleep(0.5)


def _topic_values(bootstrap: str, prefix: str) -> Iterator[bytes]:
    topics = [name for name in AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
              if name.startswith(prefix)]
    assert len(topics) >= 10, topics
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{prefix}grep", "enable.auto.commit": False,
                         "isolation.level": "read_uncommitted"})
    try:
        metadata = consumer.list_topics(timeout=10)
        ends: dict[tuple[str, int], int] = {}
        for topic in topics:
            for partition in metadata.topics[topic].partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                if high > low:
                    ends[(topic, partition)] = high
        consumer.assign([TopicPartition(t, p, 0) for t, p in ends])
        deadline = time.monotonic() + 60
        while ends and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                yield (message.key() or b"") + b" " + (message.value() or b"")
            if message is None:
                # A transaction's commit marker takes the last offset: the position tells the end.
                for tp in consumer.position([TopicPartition(t, p) for t, p in ends]):
                    if tp.offset >= ends[(tp.topic, tp.partition)]:
                        del ends[(tp.topic, tp.partition)]
        assert not ends, f"not read to the end: {ends}"
    finally:
        consumer.close()


def test_a_secret_input_is_found_nowhere_after_a_run(product: tuple[str, str, Path], kafka_bootstrap: str, es_url: str) -> None:
    url, tag, home = product
    _deploy(url, CHILD)
    execution_id, logs = _run_flow(url, FLOW, {"token": SECRET}, lines=2)
    secret = SECRET.encode()

    # The run did print and log it: what was written is the mask.
    messages = [line["message"] for line in logs]
    assert "the token is ******" in messages and "logged: ******" in messages, messages
    api = f"{url}/api/v1/main"
    child_id = next(tr for tr in httpx.get(f"{api}/executions/{execution_id}").json()["taskRunList"]
                    if tr["taskId"] == "child")["outputs"]["executionId"]
    child_logs = _logs(api, child_id, lines=1)
    # The STRING holding the secret travelled sealed as a whole, so it is masked as a whole.
    assert [line["message"] for line in child_logs if line["taskId"]] == ["child logged: ****** / ******"]

    values = list(_topic_values(kafka_bootstrap, f"{tag}."))
    assert any(execution_id.encode() in value for value in values)
    assert not [value[:200] for value in values if secret in value]

    found = httpx.get(f"{es_url}/{tag}-*/_search", params={"size": 10000, "expand_wildcards": "all"}, timeout=30)
    assert found.status_code == 200 and found.json()["hits"]["total"]["value"] > 0, found.text
    assert SECRET not in found.text

    stored = [path for path in (home / "storage").rglob("*") if path.is_file()]
    assert not [path for path in stored if secret in path.read_bytes()]

    for answer in (httpx.get(f"{api}/executions/{execution_id}"), httpx.get(f"{api}/logs/{execution_id}"),
                   httpx.get(f"{api}/executions/search", params={"namespace": "sec"})):
        assert answer.status_code == 200 and SECRET not in answer.text, answer.text[:500]
    assert SECRET not in httpx.get(f"{api}/executions/{child_id}").text
    assert execution_id in httpx.get(f"{api}/executions/{execution_id}").text


WRITER = """
id: writer
namespace: sec
tasks:
  - id: write
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: [private.txt]
    commands:
      - echo "private-data-of-another-execution" > private.txt
"""
PROBE = """
id: probe
namespace: sec
inputs:
  - {id: path, type: STRING}
tasks:
  - id: probe
    type: io.kestra.plugin.scripts.shell.Commands
    warningOnStdErr: false
    commands:
      - echo "user $(id -un)"
      - ls "$(dirname "$PWD")" > /dev/null 2>&1 && echo "parent listed" || echo "parent not listed"
      - cat "{{ inputs.path }}" > /dev/null 2>&1 && echo "file read" || echo "file not read"
      - echo "settings in env $(env | grep -c '^HARRIER__' || true)"
      - echo "home $HOME" && touch "$HOME/mine" && echo "home writable"
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="scripts change user only when the worker runs as root")
def test_a_root_workers_scripts_run_as_nobody_and_see_nothing_of_others(product: tuple[str, str, Path]) -> None:
    url, _, home = product
    _run_flow(url, WRITER, {}, lines=0)
    stored = [path for path in (home / "storage").rglob("private.txt")]
    assert len(stored) == 1 and stored[0].stat().st_mode & 0o077 == 0, stored
    _, logs = _run_flow(url, PROBE, {"path": str(stored[0])}, lines=5)
    said = [line["message"] for line in logs if line["taskId"] == "probe"]
    assert said[:4] == ["user nobody", "parent not listed", "file not read", "settings in env 0"], said
    assert said[4].startswith("home /tmp/harrier-work-") and said[5] == "home writable", said


LIMITED = """
id: limited
namespace: sec
inputs:
  - {id: text, type: STRING, required: false}
tasks:
  - {id: noop, type: io.kestra.plugin.core.log.Log, message: "text of {{ (inputs.text ?? '') | length }} characters"}
triggers:
  - {id: hook, type: io.kestra.plugin.core.trigger.Webhook, key: limited-key}
"""


def test_bodies_and_inputs_over_their_limits_are_refused_naming_the_limit(product: tuple[str, str, Path]) -> None:
    url, _, _ = product
    api = f"{url}/api/v1/main"
    deployed = httpx.post(f"{api}/flows", content=LIMITED, headers={"Content-Type": "application/x-yaml"}, timeout=30)
    assert deployed.status_code in (200, 201), deployed.text
    big = "x" * (2 * 1024 * 1024)
    hook = httpx.post(f"{api}/executions/webhook/sec/limited/limited-key", json={"data": big}, timeout=30)
    assert hook.status_code == 413
    assert hook.json()["message"].endswith("the limit is webserver.max-webhook-bytes = 1,048,576")
    # (As a form field, Starlette's own 1 MiB part limit answers 400 first, saying so.)
    run = httpx.post(f"{api}/executions/sec/limited", json={"text": big}, timeout=30)
    assert run.status_code == 413, run.text
    assert "the limit is webserver.max-inputs-bytes = 1,048,576 (pass large values as FILE inputs)" in run.json()["message"]
    source = httpx.post(f"{api}/flows", content=LIMITED + "#" * (600 * 1024),
                        headers={"Content-Type": "application/x-yaml"}, timeout=30)
    assert source.status_code == 413 and "webserver.max-flow-bytes = 524,288" in source.json()["message"]
    # Under the limits the same calls work.
    assert httpx.post(f"{api}/executions/webhook/sec/limited/limited-key", json={"data": "small"}, timeout=30).status_code == 200


def test_a_retried_create_or_webhook_with_an_idempotency_key_yields_one_execution(product: tuple[str, str, Path]) -> None:
    url, _, _ = product
    api = f"{url}/api/v1/main"
    httpx.post(f"{api}/flows", content=LIMITED, headers={"Content-Type": "application/x-yaml"}, timeout=30).raise_for_status()
    key = {"Idempotency-Key": f"retry-{os.getpid()}"}
    first = httpx.post(f"{api}/executions/sec/limited", params={"wait": "true"}, json={"text": "a"}, headers=key, timeout=60)
    assert first.status_code == 200 and first.json()["state"]["current"] == "SUCCESS", first.text
    started = time.monotonic()
    again = httpx.post(f"{api}/executions/sec/limited", params={"wait": "true"}, json={"text": "a"}, headers=key, timeout=60)
    # The retry answers the first execution, at once, instead of starting a second one.
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["state"]["current"] == "SUCCESS" and time.monotonic() - started < 5
    other = httpx.post(f"{api}/executions/sec/limited", json={"text": "a"}, headers={"Idempotency-Key": "another"}, timeout=30)
    assert other.json()["id"] != first.json()["id"]

    hook_key = {"Idempotency-Key": f"hook-{os.getpid()}"}
    hooks = [httpx.post(f"{api}/executions/webhook/sec/limited/limited-key", json={"n": 1}, headers=hook_key, timeout=30)
             for _ in range(3)]
    assert len({hook.json()["id"] for hook in hooks}) == 1
    # The copies were dropped by the executor: the execution ran once.
    execution_id = hooks[0].json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = httpx.get(f"{api}/executions/{execution_id}", timeout=30)
        if state.status_code == 200 and state.json()["state"]["current"] == "SUCCESS":
            break
        time.sleep(0.5)
    assert state.json()["state"]["current"] == "SUCCESS", state.text
    assert [tr["taskId"] for tr in state.json()["taskRunList"]] == ["noop"]
    while time.monotonic() < deadline:
        logs = [line for line in httpx.get(f"{api}/logs/{execution_id}", timeout=30).json() if line["taskId"] == "noop"]
        if logs:
            break
        time.sleep(0.5)
    assert len(logs) == 1
