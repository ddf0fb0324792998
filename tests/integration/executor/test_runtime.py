"""The stream runtime through the real broker, with the counter processor."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupState, TopicPartition

from harrier.executor import (
    EXIT_CONFIG,
    EXIT_FENCED,
    CoPartitioningError,
    RuntimeConfig,
    Supervisor,
    check_co_partitioning,
)
from harrier.topics import (
    ProducerFenced,
    build_specs,
    create_admin,
    create_consumer,
    create_transactional_producer,
    ensure_topics,
    read_dead_letter,
)

# The helpers sit next to this file. Spawned stream processes import the counter processor by
# module name, and spawn hands this sys.path to them (pytest runs with importlib mode).
sys.path.insert(0, str(Path(__file__).parent))

from runtime_counter import CounterProcessor  # noqa: E402
from runtime_harness import (  # noqa: E402
    Reader,
    Sender,
    create_topics,
    make_config,
    running,
    wait_for,
)

pytestmark = pytest.mark.integration


def _counts_by_key(payloads: list[dict]) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = defaultdict(list)
    for payload in payloads:
        if not payload.get("timer"):
            counts[payload["key"]].append(payload["count"])
    return counts


def test_outputs_and_state_survive_a_restart(kafka_bootstrap: str, unique: str) -> None:
    config = make_config(kafka_bootstrap, unique)
    create_topics(config)
    sender, reader = Sender(config), Reader(config, "worker-tasks")
    keys = [f"exec-{i}" for i in range(12)]

    with running(config):
        for round_ in range(3):
            for key in keys:
                sender.send(key, {"seq": round_})
        sender.flush()
        reader.read_until(lambda ms: len(ms) >= 36)

    # A new process restores the counts from execution-states and continues them.
    with running(config):
        for key in keys:
            sender.send(key, {"seq": 3})
        sender.flush()
        reader.read_until(lambda ms: len(ms) >= 48)

    reader.read_for(0.5)  # anything extra would be a duplicate
    counts = _counts_by_key(reader.payloads())
    assert counts == {key: [1, 2, 3, 4] for key in keys}


def test_exactly_once_when_a_stream_process_is_killed(kafka_bootstrap: str, unique: str) -> None:
    config = make_config(kafka_bootstrap, unique, partitions=4)
    create_topics(config)
    keys = [f"exec-{i}" for i in range(40)]
    per_key = 500

    outputs = _kill_one_mid_run(config, keys, per_key)

    # Every record counted exactly once, in order: no output lost, none duplicated. (The
    # same run with processing-guarantee at_least_once duplicates outputs in most runs.)
    assert _counts_by_key(outputs) == {key: list(range(1, per_key + 1)) for key in keys}


def _kill_one_mid_run(config: RuntimeConfig, keys: list[str], per_key: int) -> list[dict]:
    """Run two stream processes under load, kill -9 one a third of the way in; return the
    outputs a read_committed reader sees."""
    sender, reader = Sender(config), Reader(config, "worker-tasks")
    total = len(keys) * per_key
    with running(config, processes=2) as supervisor:
        wait_for(lambda: _stable_members(config) == 2, 20, "two members in the group")
        for round_ in range(per_key):
            for key in keys:
                sender.send(key, {"seq": round_})
            sender.flush()
            # A steady stream: every 25 ms transaction of both processes holds records.
            time.sleep(0.004)
            if round_ == per_key // 3:
                # Mid-run, with transactions in flight: no commit, no close, no goodbye.
                os.kill(supervisor.pids()[1], signal.SIGKILL)
        reader.read_until(lambda ms: len(ms) >= total, timeout_s=40)
        assert supervisor.restarts >= 1
    reader.read_for(1.0)  # anything extra would be a duplicate
    return reader.payloads()


def test_a_fenced_process_exits_and_its_restart_takes_over(
    kafka_bootstrap: str, unique: str
) -> None:
    config = make_config(kafka_bootstrap, unique, partitions=2)
    create_topics(config)
    sender, reader = Sender(config), Reader(config, "worker-tasks")
    keys = [f"exec-{i}" for i in range(10)]

    with running(config) as supervisor:
        for key in keys:
            sender.send(key, {"seq": 0})
        sender.flush()
        reader.read_until(lambda ms: len(ms) >= 10)
        # A twin with the same transactional.id (a restarted process) fences the running one.
        twin = create_transactional_producer(config.settings, config.transactional_id(0))
        for key in keys:
            sender.send(key, {"seq": 1})
        sender.flush()
        wait_for(lambda: (0, EXIT_FENCED) in supervisor.exits, 20, "the fenced process to exit")
        # Its replacement fences the twin in turn, restores the counts and goes on.
        reader.read_until(lambda ms: len(ms) >= 20)
        with pytest.raises(ProducerFenced):
            twin.begin()
            twin.produce(config.topic("worker-tasks"), b"zombie", b"exec-0")
            twin.commit()

    reader.read_for(0.5)  # anything extra would be a duplicate
    assert _counts_by_key(reader.payloads()) == {key: [1, 2] for key in keys}


def test_refuses_topics_with_different_partition_counts(
    kafka_bootstrap: str, unique: str
) -> None:
    config = make_config(kafka_bootstrap, unique)
    specs = build_specs(config.settings)
    # A topic created by hand, outside Harrier's specs, with a different count.
    mismatched = [
        specs["executions"],
        type(specs["worker-results"])(**{**_fields(specs["worker-results"]), "partitions": 3}),
        specs["execution-states"],
    ]
    ensure_topics(create_admin(config.settings), mismatched)

    with pytest.raises(CoPartitioningError, match=r"worker-results has 3"):
        check_co_partitioning(create_admin(config.settings), config)
    started = time.monotonic()
    assert Supervisor(config, CounterProcessor, processes=1).run() == EXIT_CONFIG
    assert time.monotonic() - started < 10


def test_refuses_missing_topics(kafka_bootstrap: str, unique: str) -> None:
    config = make_config(kafka_bootstrap, unique)
    with pytest.raises(CoPartitioningError, match=r"rt-.*executions.* do not exist"):
        check_co_partitioning(create_admin(config.settings), config)


def test_poison_records_go_to_dead_letters_and_the_partition_flows(
    kafka_bootstrap: str, unique: str
) -> None:
    config = make_config(kafka_bootstrap, unique, partitions=1)
    create_topics(config)
    sender = Sender(config)
    outputs, dead = Reader(config, "worker-tasks"), Reader(config, "dead-letters")

    with running(config):
        sender.send("exec-1", {"seq": 0})
        sender.send("exec-1", b"not json")
        sender.send("exec-1", {"seq": 1, "fail": True})
        sender.send("exec-1", b"[1, 2]", topic="worker-results")
        sender.send("exec-1", {"seq": 2}, topic="worker-results")
        sender.send("exec-1", {"seq": 3})
        sender.flush()
        outputs.read_until(lambda ms: len(ms) >= 3)
        dead.read_until(lambda ms: len(ms) >= 3)

    # The failing record's store change was rolled back: three good records, counts 1..3.
    # (The two input topics interleave in any order; within one topic order holds.)
    payloads = outputs.payloads()
    assert sorted(p["count"] for p in payloads) == [1, 2, 3]
    assert sorted(p["seq"] for p in payloads) == [0, 2, 3]
    assert [p["seq"] for p in payloads if p["seq"] != 2] == [0, 3]
    letters = [read_dead_letter(m) for m in dead.messages]
    by_origin = {(d.topic.rsplit(".", 1)[1], d.offset): d for d in letters}
    assert sorted(by_origin) == [("executions", 1), ("executions", 2), ("worker-results", 0)]
    assert by_origin["executions", 1].value == b"not json"
    assert "JSONDecodeError" in by_origin["executions", 1].error
    assert "ValueError: poison record at offset 2" in by_origin["executions", 2].error
    assert "expected a JSON object, got list" in by_origin["worker-results", 0].error


def test_timers_fire_and_are_rebuilt_after_restore(kafka_bootstrap: str, unique: str) -> None:
    config = make_config(kafka_bootstrap, unique, partitions=2)
    create_topics(config)
    sender, reader = Sender(config), Reader(config, "worker-tasks")

    with running(config):
        sent = time.time()
        sender.send("short", {"seq": 0, "timer_ms": 300})
        sender.send("long", {"seq": 0, "timer_ms": 4000})
        sender.flush()
        reader.read_until(lambda ms: sum(b'"timer"' in m.value() for m in ms) >= 1)
        fired_short = time.time()
        # Stop before "long" is due: its timer exists only in the changelog now.
        assert not any(p.get("timer") for p in reader.payloads() if p["key"] == "long")

    with running(config):
        reader.read_until(lambda ms: sum(b'"timer":true' in m.value() for m in ms) >= 2)
        fired_long = time.time()

    timers = [p["key"] for p in reader.payloads() if p.get("timer")]
    assert timers == ["short", "long"]
    assert 0.3 <= fired_short - sent < 3.0
    assert fired_long - sent >= 4.0
    # Fired timers are disarmed in the state: no timer fires twice.
    assert len(reader.read_for(1.0)) == 4


def test_sigterm_commits_and_leaves_the_group(kafka_bootstrap: str, unique: str) -> None:
    config = make_config(kafka_bootstrap, unique, partitions=2)
    create_topics(config)
    sender, reader = Sender(config), Reader(config, "worker-tasks")

    with running(config) as supervisor:
        for i in range(200):
            sender.send(f"exec-{i % 7}", {"seq": i})
        sender.flush()
        reader.read_until(lambda ms: len(ms) >= 200)
        pid = supervisor.pids()[0]
    # running() stopped the supervisor, which sent SIGTERM to the stream process.
    assert supervisor.exit_codes() == {0: 0}
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    admin = create_admin(config.settings)
    group = admin.describe_consumer_groups([config.group_id])[config.group_id].result(10)
    assert group.state == ConsumerGroupState.EMPTY and not group.members
    consumer = create_consumer(config.settings, config.group_id)
    inputs = [TopicPartition(config.topic("executions"), p) for p in range(2)]
    committed = {tp.partition: tp.offset for tp in consumer.committed(inputs, timeout=10)}
    ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in inputs}
    consumer.close()
    assert committed == ends and sum(ends.values()) == 200


def _stable_members(config: RuntimeConfig) -> int:
    admin = create_admin(config.settings)
    group = admin.describe_consumer_groups([config.group_id])[config.group_id].result(10)
    if group.state != ConsumerGroupState.STABLE:
        return 0
    return sum(1 for member in group.members if member.assignment.topic_partitions)


def _fields(spec: object) -> dict[str, object]:
    return {name: getattr(spec, name) for name in spec.__slots__}  # type: ignore[attr-defined]

