"""Session fixtures: a real Kafka bootstrap address and a real Elasticsearch URL.

Where they come from, in order: the HARRIER_TEST_KAFKA / HARRIER_TEST_ES environment variables;
testcontainers when a Docker engine answers; else the project's own launcher (`harrier infra`),
which starts whatever is not already running. Never a mock.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

_KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"
_ES_IMAGE = "docker.elastic.co/elasticsearch/elasticsearch:9.5.0"


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:  # noqa: BLE001 - any failure means "no engine here"
        return False
    return True


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """bootstrap.servers of a real broker."""
    if address := os.environ.get("HARRIER_TEST_KAFKA"):
        yield address
    elif _docker_answers():
        from testcontainers.community.kafka import KafkaContainer

        with KafkaContainer(_KAFKA_IMAGE).with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
    else:
        from harrier.infra.stack import Stack

        stack = Stack()
        stack.kafka.up()
        yield stack.kafka.bootstrap


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    """HTTP address of a real Elasticsearch node."""
    if address := os.environ.get("HARRIER_TEST_ES"):
        yield address
    elif _docker_answers():
        from testcontainers.community.elasticsearch import ElasticSearchContainer

        with ElasticSearchContainer(_ES_IMAGE, mem_limit="2g") as es:
            yield f"http://{es.get_container_host_ip()}:{es.get_exposed_port(es.port)}"
    else:
        from harrier.infra.stack import Stack

        stack = Stack()
        stack.elasticsearch.up()
        yield stack.elasticsearch.url


@pytest.fixture
def unique() -> str:
    """A short random suffix so topic, group and index names never collide between runs."""
    return uuid.uuid4().hex[:10]
