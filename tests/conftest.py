"""Session fixtures: a real Kafka bootstrap address and a real Elasticsearch URL.

Where they come from, in order: the HARRIER_TEST_KAFKA / HARRIER_TEST_ES environment variables;
testcontainers when a Docker engine answers; else the project's own launcher (`harrier infra`),
which starts whatever is not already running. Never a mock.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

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


# Names of runs that delete their own topics and indices when they end, and that may be
# running in another session on the same broker and Elasticsearch while a module here ends:
# the chaos harness's (chaos-<scenario>-<id>. topics, chaos-<id>- indices). Deleting them
# mid-run made a parallel chaos run lose all its topics.
_CLEANED_BY_THEIR_RUN = ("chaos-",)


def _ours(name: str) -> bool:
    # Elasticsearch's and the broker's own (.security, __consumer_offsets) may first appear
    # during a test; they are never a test's to delete.
    return not name.startswith((".", "_", *_CLEANED_BY_THEIR_RUN))


def _indices_and_templates(es: Any) -> tuple[set[str], set[str]]:
    indices = {row["index"] for row in es.cat.indices(h="index", format="json")}
    templates = {t["name"] for t in es.indices.get_index_template()["index_templates"]}
    return set(filter(_ours, indices)), set(filter(_ours, templates))


def _user_topics(admin: Any) -> set[str]:
    return set(filter(_ours, admin.list_topics(timeout=30).topics))


@pytest.fixture(scope="module", autouse=True)
def _leave_no_indices_or_topics(request: pytest.FixtureRequest) -> Iterator[None]:
    """Delete the indices, index templates and topics an integration module created.

    Left behind they pile up: with a few hundred indices an Elasticsearch restart takes 45 s
    instead of 18 (the outage tests restart it), and a broker holding thousands of
    partitions from earlier runs no longer starts within the launcher's timeout. Per module,
    not per test, because module fixtures share their topics between the tests.
    """
    if request.node.get_closest_marker("integration") is None:
        yield
        return
    from confluent_kafka import KafkaError
    from confluent_kafka.admin import AdminClient
    from elasticsearch import Elasticsearch

    es = Elasticsearch(request.getfixturevalue("es_url"), request_timeout=60)
    admin = AdminClient({"bootstrap.servers": request.getfixturevalue("kafka_bootstrap")})
    indices, templates = _indices_and_templates(es)
    topics = _user_topics(admin)
    yield
    now_indices, now_templates = _indices_and_templates(es)
    new = sorted(now_indices - indices)
    for start in range(0, len(new), 50):
        es.indices.delete(index=",".join(new[start:start + 50]), ignore_unavailable=True)
    for name in sorted(now_templates - templates):
        es.indices.delete_index_template(name=name)
    created = sorted(_user_topics(admin) - topics)
    if created:
        for future in admin.delete_topics(created, operation_timeout=30).values():
            error = future.exception()
            # A topic the test deleted itself may be gone already.
            if error is not None and error.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise error


@pytest.fixture
def unique() -> str:
    """A short random suffix so topic, group and index names never collide between runs."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def encryption_key() -> Iterator[str]:
    """A fresh encryption key set for SECRET inputs in this process (none again afterwards)."""
    import base64

    from harrier.core import sealing

    key = base64.b64encode(os.urandom(32)).decode()
    sealing.configure(key)
    yield key
    sealing.configure(None)
