"""Topic admin against the real broker: create all, idempotent rerun, drift reported, data kept."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
)

from harrier.config import Settings
from harrier.topics import (
    TopicReport,
    build_specs,
    create_admin,
    create_consumer,
    create_producer,
    create_transactional_producer,
    ensure_topics,
)

pytestmark = pytest.mark.integration


def settings_for(bootstrap: str, prefix: str, **topics: object) -> Settings:
    return Settings.model_validate(
        {
            "kafka": {"bootstrap-servers": bootstrap},
            "topics": {"prefix": prefix, "partitions": 2, **topics},
        }
    )


@pytest.fixture
def prefix(kafka_bootstrap: str, unique: str) -> Iterator[str]:
    prefix = f"test-{unique}."
    yield prefix
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    ours = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if ours:
        for future in admin.delete_topics(ours, operation_timeout=30).values():
            future.result()


def describe(admin: AdminClient, name: str) -> dict[str, str]:
    resource = ConfigResource(ConfigResource.Type.TOPIC, name)
    entries = admin.describe_configs([resource])[resource].result()
    return {key: entry.value for key, entry in entries.items()}


def test_creates_every_topic_with_its_config(kafka_bootstrap: str, prefix: str) -> None:
    settings = settings_for(kafka_bootstrap, prefix)
    specs = build_specs(settings)
    admin = create_admin(settings)

    report = ensure_topics(admin, specs.values())

    assert sorted(report.created) == sorted(spec.name for spec in specs.values())
    assert report.drift == [] and report.unchanged == []
    metadata = admin.list_topics(timeout=10).topics
    for spec in specs.values():
        assert len(metadata[spec.name].partitions) == spec.partitions
        actual = describe(admin, spec.name)
        for key, value in spec.config().items():
            assert actual[key] == value, (spec.name, key)
    assert describe(admin, specs["execution-states"].name)["cleanup.policy"] == "compact"

    again = ensure_topics(admin, specs.values())
    assert again.created == [] and again.increased == [] and again.drift == []
    assert sorted(again.unchanged) == sorted(report.created)
    assert not again.changed


def test_drift_is_reported_and_data_kept(kafka_bootstrap: str, prefix: str) -> None:
    settings = settings_for(kafka_bootstrap, prefix)
    admin = create_admin(settings)
    ensure_topics(admin, build_specs(settings).values())
    logs = f"{prefix}logs"

    producer = create_producer(settings)
    producer.produce(logs, key=b"exec-1", value=b"kept", partition=0)
    assert producer.flush(10) == 0

    # Someone changed retention by hand, and the settings now ask for more partitions.
    resource = ConfigResource(
        ConfigResource.Type.TOPIC,
        logs,
        incremental_configs=[
            ConfigEntry("retention.ms", "1234", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    admin.incremental_alter_configs([resource])[resource].result()
    grown = settings_for(
        kafka_bootstrap, prefix, overrides={"logs": {"partitions": 3}, "metrics": {"partitions": 1}}
    )

    report = ensure_topics(admin, build_specs(grown).values())
    drift = {(d.topic, d.setting): (d.expected, d.actual) for d in report.drift}
    assert drift == {
        (logs, "retention.ms"): (str(7 * 24 * 3_600_000), "1234"),
        (logs, "partitions"): ("3", "2"),
        (f"{prefix}metrics", "partitions"): ("1", "2"),
    }
    assert report.created == [] and report.increased == []
    assert f"drift {logs}: partitions is 2, spec says 3" in str(report)
    # Reporting changed nothing.
    assert len(admin.list_topics(timeout=10).topics[logs].partitions) == 2
    assert describe(admin, logs)["retention.ms"] == "1234"

    # On request, partitions grow (never shrink); the existing record survives.
    report = ensure_topics(admin, build_specs(grown).values(), increase_partitions=True)
    assert report.increased == [logs]
    assert {(d.topic, d.setting) for d in report.drift} == {
        (logs, "retention.ms"),
        (f"{prefix}metrics", "partitions"),
    }
    deadline = time.monotonic() + 10
    while len(admin.list_topics(logs, timeout=10).topics[logs].partitions) != 3:
        assert time.monotonic() < deadline, "partitions did not grow"
        time.sleep(0.05)

    consumer = create_consumer(settings, None)
    consumer.assign([TopicPartition(logs, 0, 0)])
    try:
        message = None
        deadline = time.monotonic() + 10
        while message is None and time.monotonic() < deadline:
            message = consumer.poll(0.1)
    finally:
        consumer.close()
    assert message is not None and message.value() == b"kept"


def test_concurrent_runs_do_not_fail(kafka_bootstrap: str, prefix: str) -> None:
    # Every component ensures the topics at start-up, so several may race on a fresh cluster:
    # all list the topics as missing, one creation wins, the others get "already exists".
    settings = settings_for(kafka_bootstrap, prefix)
    specs = list(build_specs(settings).values())
    admins = [create_admin(settings) for _ in range(3)]
    for admin in admins:
        admin.list_topics(timeout=10)  # connect first so the runs start together
    start = threading.Barrier(len(admins))

    def run(admin: AdminClient) -> TopicReport:
        start.wait()
        return ensure_topics(admin, specs)

    with ThreadPoolExecutor(max_workers=len(admins)) as pool:
        reports = list(pool.map(run, admins))
    created = [name for report in reports for name in report.created]
    assert sorted(created) == sorted(spec.name for spec in specs)
    for report in reports:
        assert report.drift == []
        assert sorted(report.created + report.unchanged) == sorted(spec.name for spec in specs)


def test_execution_states_take_a_large_snapshot(kafka_bootstrap: str, prefix: str) -> None:
    settings = settings_for(kafka_bootstrap, prefix)
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs["execution-states"]])
    topic = specs["execution-states"].name
    # Incompressible, so the limit is tested on the stored size, close to max-snapshot-bytes.
    snapshot = os.urandom(settings.executor.max_snapshot_bytes - 1024)
    txn = create_transactional_producer(settings, f"{prefix}snapshot")
    txn.begin()
    txn.produce(topic, key=b"exec-big", value=snapshot)
    txn.commit()

    consumer = create_consumer(settings, None)
    partitions = specs["execution-states"].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    try:
        message = None
        deadline = time.monotonic() + 15
        while message is None and time.monotonic() < deadline:
            message = consumer.poll(0.1)
    finally:
        consumer.close()
    assert message is not None and message.error() is None
    assert message.key() == b"exec-big" and message.value() == snapshot
