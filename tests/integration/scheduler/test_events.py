"""Flow triggers and Kafka triggers through the real broker."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from scheduler_kafka import AutoCompleter, Cluster, CommandReader, wait_running

from harrier.core.states import State
from harrier.scheduler.clock import ManualClock, SystemClock

pytestmark = pytest.mark.integration

UTC = timezone.utc


def test_flow_trigger_chain(cluster: Cluster) -> None:
    cluster.deploy("transform", """  - id: after-extract
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      date: "{{ trigger.outputs.date }}"
    preconditions:
      id: extract-done
      flows:
        - namespace: company.team
          flowId: extract
          states: [SUCCESS]
""")
    cluster.deploy("report", """  - id: after-transform
    type: io.kestra.core.models.triggers.types.Flow
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
        namespace: company.team
        flowId: transform
""")
    reader = CommandReader(cluster)
    scheduler = cluster.start_scheduler(SystemClock())
    wait_running(scheduler)

    cluster.snapshot("extract-1", "company.team", "extract", State.RUNNING)
    cluster.snapshot("extract-failed", "company.team", "extract", State.FAILED)
    cluster.snapshot("extract-1", "company.team", "extract", State.SUCCESS, outputs={"date": "2026-01-01"})
    [transform] = reader.wait(1)
    assert transform.flow_id == "transform" and transform.inputs == {"date": "2026-01-01"}
    assert transform.trigger["executionId"] == "extract-1"
    assert transform.trigger["flowId"] == "extract" and transform.trigger["state"] == "SUCCESS"

    # The created execution ends (as the executor would report it): the next link fires.
    cluster.snapshot(transform.execution_id, "company.team", "transform", State.WARNING)
    report = reader.wait(2)[1]
    assert report.flow_id == "report"
    assert report.trigger["executionId"] == transform.execution_id and report.trigger["state"] == "WARNING"
    time.sleep(1.0)
    assert len(reader.poll(0.5)) == 2
    reader.close()


def _external_topic(cluster: Cluster, name: str) -> str:
    bootstrap = cluster.settings.kafka.bootstrap_servers
    topic = cluster.settings.topics.prefix + name
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)]).values():
        future.result(30)
    time.sleep(0.5)
    return topic


def test_realtime_trigger_one_execution_per_record(cluster: Cluster) -> None:
    topic = _external_topic(cluster, "orders")
    bootstrap = cluster.settings.kafka.bootstrap_servers
    cluster.deploy("on-order", f"""  - id: orders
    type: io.kestra.plugin.kafka.RealtimeTrigger
    topic: {topic}
    groupId: {cluster.settings.topics.prefix}orders-group
    properties:
      bootstrap.servers: "{bootstrap}"
      auto.offset.reset: earliest
    valueDeserializer: JSON
""")
    reader = CommandReader(cluster)
    scheduler = cluster.start_scheduler(SystemClock())
    wait_running(scheduler)
    for i in range(5):
        cluster.produce(topic, orjson.dumps({"order": i}), key=f"k{i}".encode(), headers=[("source", b"shop")])
    commands = reader.wait(5)
    time.sleep(1.0)
    commands = reader.poll(0.5)
    assert len(commands) == 5
    seen = sorted((c.trigger["value"]["order"], c.trigger["key"]) for c in commands)
    assert seen == [(i, f"k{i}") for i in range(5)]
    for command in commands:
        assert command.flow_id == "on-order"
        assert command.trigger["topic"] == topic and command.trigger["headers"] == {"source": "shop"}
        assert command.trigger["partition"] in (0, 1) and command.trigger["offset"] >= 0
    assert len({(c.trigger["partition"], c.trigger["offset"]) for c in commands}) == 5

    # The consumed offsets committed with the executions: a new instance starts after them.
    cluster.stop_schedulers()
    wait_running(cluster.start_scheduler(SystemClock(), "b"))
    cluster.produce(topic, orjson.dumps({"order": 5}), key=b"k5")
    commands = reader.wait(6)
    time.sleep(1.0)
    assert [c.trigger["value"]["order"] for c in reader.poll(0.5)[5:]] == [5]
    reader.close()


def test_batch_kafka_trigger_polls_on_its_interval(cluster: Cluster) -> None:
    topic = _external_topic(cluster, "events")
    bootstrap = cluster.settings.kafka.bootstrap_servers
    clock = ManualClock(datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    cluster.deploy("on-batch", f"""  - id: batch
    type: io.kestra.plugin.kafka.Trigger
    topic: {topic}
    partitions: [0]
    interval: PT1M
    maxRecords: 3
    properties:
      bootstrap.servers: "{bootstrap}"
      auto.offset.reset: earliest
""")
    completer = AutoCompleter(cluster)
    completer.start()
    reader = CommandReader(cluster)
    scheduler = cluster.start_scheduler(clock)
    wait_running(scheduler)
    for i in range(5):
        cluster.produce(topic, f"event-{i}".encode(), partition=0)  # the trigger reads partition 0 only
    time.sleep(1.0)
    assert reader.poll(0.3) == []  # not due before the interval

    def next_batch(count: int) -> list:
        # An interval that finds no record yet (a slow first fetch) just waits for the next one.
        for _ in range(30):
            clock.advance(timedelta(minutes=1, seconds=1))
            if len(reader.poll(0.5)) >= count:
                return reader.commands
        raise AssertionError(f"no batch {count} after 30 intervals")

    first = next_batch(1)[0]
    assert first.trigger["messagesCount"] == 3
    assert [m["value"] for m in first.trigger["messages"]] == ["event-0", "event-1", "event-2"]
    second = next_batch(2)[1]
    assert [m["value"] for m in second.trigger["messages"]] == ["event-3", "event-4"]
    assert second.trigger["messages"][0]["offset"] == 3
    completer.stop()
    reader.close()
