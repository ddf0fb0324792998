"""A SECRET input's value reaches no topic, no index, no stored file and no API answer.

The whole product runs (``harrier server standalone``, its own topics and indices); a flow
receives a SECRET input, prints it from a shell script and logs it from a Log task. Then every
record of every topic (aborted transactions included), every document of every index, every
file of the internal storage, and the API's answers are searched for the value.
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
"""


@pytest.fixture(scope="module")
def product(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    home = tmp_path_factory.mktemp("secrets")
    tag = f"sec{os.getpid()}x{free_port()}"
    with standalone(home, kafka_bootstrap, es_url, tag=tag) as url:
        yield url, tag, home


def _run_flow(url: str) -> tuple[str, list[dict]]:
    api = f"{url}/api/v1/main"
    deployed = httpx.post(f"{api}/flows", content=FLOW, headers={"Content-Type": "application/x-yaml"}, timeout=30)
    assert deployed.status_code in (200, 201), deployed.text
    started = httpx.post(f"{api}/executions/sec/secret-user", params={"wait": "true"},
                         files={"token": (None, SECRET)}, timeout=90)
    assert started.status_code == 200, started.text
    execution = started.json()
    assert execution["state"]["current"] == "SUCCESS", execution
    # The indexer ships the log lines shortly after the end.
    deadline = time.monotonic() + 90
    while True:
        logs = httpx.get(f"{api}/logs/{execution['id']}", timeout=30).json()
        if len([line for line in logs if line["taskId"] in ("script", "log")]) >= 2 or time.monotonic() > deadline:
            return execution["id"], logs
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
    execution_id, logs = _run_flow(url)
    secret = SECRET.encode()

    # The run did print and log it: what was written is the mask.
    messages = [line["message"] for line in logs]
    assert "the token is ******" in messages and "logged: ******" in messages, messages

    values = list(_topic_values(kafka_bootstrap, f"{tag}."))
    assert any(execution_id.encode() in value for value in values)
    assert not [value[:200] for value in values if secret in value]

    found = httpx.get(f"{es_url}/{tag}-*/_search", params={"size": 10000, "expand_wildcards": "all"}, timeout=30)
    assert found.status_code == 200 and found.json()["hits"]["total"]["value"] > 0, found.text
    assert SECRET not in found.text

    stored = [path for path in (home / "storage").rglob("*") if path.is_file()]
    assert not [path for path in stored if secret in path.read_bytes()]

    api = f"{url}/api/v1/main"
    for answer in (httpx.get(f"{api}/executions/{execution_id}"), httpx.get(f"{api}/logs/{execution_id}"),
                   httpx.get(f"{api}/executions/search", params={"namespace": "sec"})):
        assert answer.status_code == 200 and SECRET not in answer.text, answer.text[:500]
    assert execution_id in httpx.get(f"{api}/executions/{execution_id}").text
