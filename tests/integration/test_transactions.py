"""Exactly-once building blocks against the real broker: consume-transform-produce in one
transaction, aborted output never visible, fencing surfaced as ProducerFenced, dead letters
inside a transaction."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from confluent_kafka import OFFSET_INVALID, Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harrier.config import Settings
from harrier.topics import (
    ProducerFenced,
    create_consumer,
    create_producer,
    create_transactional_producer,
    read_dead_letter,
    send_to_dead_letters,
)

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _drop_test_topics(kafka_bootstrap: str, unique: str) -> Iterator[None]:
    yield
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    ours = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"test-{unique}.")]
    for future in admin.delete_topics(ours, operation_timeout=30).values() if ours else ():
        future.result()


def make_topics(bootstrap: str, *names: str, partitions: int = 2) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
    )
    for future in futures.values():
        future.result(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        topics = admin.list_topics(timeout=10).topics
        if all(
            name in topics and all(p.leader >= 0 for p in topics[name].partitions.values())
            for name in names
        ):
            return
        time.sleep(0.05)
    raise AssertionError(f"{names} have no leaders")


def reader(settings: Settings, topic: str, isolation: str, partitions: int = 2) -> Consumer:
    consumer = create_consumer(settings, None, overrides={"isolation.level": isolation})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    return consumer


def drain(consumer: Consumer, seconds: float, want: int | None = None) -> list[Message]:
    """Poll for ``seconds`` (or until ``want`` records arrived)."""
    records: list[Message] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (want is None or len(records) < want):
        message = consumer.poll(0.05)
        if message is not None:
            assert message.error() is None, message.error()
            records.append(message)
    return records


@pytest.fixture
def settings(kafka_bootstrap: str) -> Settings:
    return Settings.model_validate({"kafka": {"bootstrap-servers": kafka_bootstrap}})


def test_consume_transform_produce_commits_output_and_offsets_together(
    settings: Settings, kafka_bootstrap: str, unique: str
) -> None:
    source, sink, group = f"test-{unique}.in", f"test-{unique}.out", f"ctp-{unique}"
    make_topics(kafka_bootstrap, source, sink)
    producer = create_producer(settings)
    for i in range(20):
        producer.produce(source, key=f"e{i % 4}".encode(), value=str(i).encode())
    assert producer.flush(10) == 0

    consumer = create_consumer(settings, group)
    consumer.subscribe([source])
    txn = create_transactional_producer(settings, f"ctp-{unique}")
    observer = reader(settings, sink, "read_committed")
    try:
        inputs = drain(consumer, 20, want=20)
        assert len(inputs) == 20
        txn.begin()
        for record in inputs:
            txn.produce(sink, key=record.key(), value=b"x" + record.value())
        positions = consumer.position(consumer.assignment())
        txn.send_offsets(positions, consumer.consumer_group_metadata())
        txn.poll(0)
        assert drain(observer, 1.0) == []  # nothing visible before the commit
        txn.commit()
        outputs = drain(observer, 10, want=20)
    finally:
        observer.close()
        consumer.close()
    assert sorted(int(r.value()[1:]) for r in outputs) == list(range(20))
    assert all(r.value() == b"x" + r.value()[1:] for r in outputs)

    # The consumed offsets were committed by the transaction, not by the consumer: every
    # partition's committed offset is its end (a partition that got no record has none).
    checker = create_consumer(settings, group)
    try:
        committed = checker.committed([TopicPartition(source, p) for p in range(2)], timeout=10)
        ends = [checker.get_watermark_offsets(tp, timeout=10)[1] for tp in committed]
    finally:
        checker.close()
    assert sum(ends) == 20
    for tp, end in zip(committed, ends, strict=True):
        assert tp.offset == (end if end else OFFSET_INVALID)


def test_aborted_output_is_never_seen_by_read_committed(
    settings: Settings, kafka_bootstrap: str, unique: str
) -> None:
    sink = f"test-{unique}.abort"
    make_topics(kafka_bootstrap, sink)
    txn = create_transactional_producer(settings, f"abort-{unique}")
    txn.begin()
    for i in range(5):
        txn.produce(sink, key=b"k", value=f"aborted-{i}".encode())
    # Deliver them first: abort would otherwise purge them from the local queue unsent.
    assert txn.raw.flush(10) == 0
    txn.abort()
    txn.begin()
    txn.produce(sink, key=b"k", value=b"committed")
    txn.commit()

    committed_reader = reader(settings, sink, "read_committed")
    uncommitted_reader = reader(settings, sink, "read_uncommitted")
    try:
        seen = [r.value() for r in drain(committed_reader, 10, want=1)]
        assert [r.value() for r in drain(committed_reader, 0.5)] == []
        raw = [r.value() for r in drain(uncommitted_reader, 10, want=6)]
    finally:
        committed_reader.close()
        uncommitted_reader.close()
    assert seen == [b"committed"]
    # The aborted records were written: only the isolation level hides them.
    assert raw == [f"aborted-{i}".encode() for i in range(5)] + [b"committed"]


def test_a_newer_instance_fences_the_older_one(
    settings: Settings, kafka_bootstrap: str, unique: str
) -> None:
    sink = f"test-{unique}.fence"
    make_topics(kafka_bootstrap, sink)
    old = create_transactional_producer(settings, f"fence-{unique}", timeout_s=10)
    old.begin()
    old.produce(sink, key=b"k", value=b"zombie")
    create_transactional_producer(settings, f"fence-{unique}", timeout_s=10)
    with pytest.raises(ProducerFenced):
        old.produce(sink, key=b"k", value=b"more")
        old.commit()

    committed_reader = reader(settings, sink, "read_committed")
    try:
        assert drain(committed_reader, 1.0) == []
    finally:
        committed_reader.close()


def test_dead_letter_inside_a_transaction(
    settings: Settings, kafka_bootstrap: str, unique: str
) -> None:
    source, dead = f"test-{unique}.src", f"test-{unique}.dead-letters"
    make_topics(kafka_bootstrap, source, dead, partitions=1)
    producer = create_producer(settings)
    producer.produce(source, key=b"exec-9", value=b"{broken", headers=[("trace", b"t1")])
    assert producer.flush(10) == 0
    source_reader = reader(settings, source, "read_committed", partitions=1)
    [record] = drain(source_reader, 10, want=1)
    source_reader.close()

    txn = create_transactional_producer(settings, f"dlq-{unique}")
    txn.begin()
    send_to_dead_letters(txn, record, ValueError("invalid JSON"), topic=dead)
    txn.commit()

    dead_reader = reader(settings, dead, "read_committed", partitions=1)
    try:
        [letter_record] = drain(dead_reader, 10, want=1)
    finally:
        dead_reader.close()
    letter = read_dead_letter(letter_record)
    assert (letter.key, letter.value) == (b"exec-9", b"{broken")
    assert (letter.topic, letter.partition, letter.offset) == (source, 0, 0)
    assert letter.error == "ValueError: invalid JSON"
    assert letter.headers == (("trace", b"t1"),)
