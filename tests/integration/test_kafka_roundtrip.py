"""Produce/consume round trips against the real broker with both client libraries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from pydantic import BaseModel

from harrier.config import Settings
from harrier.topics import ModelSerde, create_consumer, create_producer
from harrier.topics.serdes import encode_key

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _drop_test_topics(kafka_bootstrap: str, unique: str) -> Iterator[None]:
    yield
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    ours = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"test-{unique}.")]
    for future in admin.delete_topics(ours, operation_timeout=30).values() if ours else ():
        future.result()


class Ping(BaseModel):
    execution_id: str
    n: int


def make_topic(bootstrap: str, name: str, partitions: int = 2) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])[
        name
    ].result(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        topic = admin.list_topics(name, timeout=10).topics.get(name)
        if topic and topic.error is None and all(p.leader >= 0 for p in topic.partitions.values()):
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} has no leaders")


def read_all(consumer: Consumer, count: int, timeout_s: float = 15.0) -> list[Message]:
    records: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(records) < count and time.monotonic() < deadline:
        message = consumer.poll(0.1)
        if message is None:
            continue
        assert message.error() is None, message.error()
        records.append(message)
    return records


def settings_for(bootstrap: str) -> Settings:
    return Settings.model_validate({"kafka": {"bootstrap-servers": bootstrap}})


def test_confluent_round_trip_keeps_keys_values_and_order(
    kafka_bootstrap: str, unique: str
) -> None:
    serde = ModelSerde("ping", Ping)
    topic = f"test-{unique}.roundtrip"
    make_topic(kafka_bootstrap, topic)
    settings = settings_for(kafka_bootstrap)
    producer = create_producer(settings, client_id="roundtrip")
    sent = [Ping(execution_id=f"exec-{i % 5}", n=i) for i in range(200)]
    for ping in sent:
        producer.produce(topic, key=encode_key(ping.execution_id), value=serde.encode(ping))
    assert producer.flush(15) == 0

    consumer = create_consumer(settings, group_id=None, client_id="roundtrip")
    consumer.assign([TopicPartition(topic, p, 0) for p in range(2)])
    try:
        records = read_all(consumer, len(sent))
    finally:
        consumer.close()
    received = [serde.decode(record.value()) for record in records]
    assert sorted(received, key=lambda p: p.n) == sent
    for record, ping in zip(records, received, strict=True):
        assert record.key() == ping.execution_id.encode()
    # Same key, same partition, in production order.
    for key in {ping.execution_id for ping in sent}:
        numbers = [ping.n for ping in received if ping.execution_id == key]
        assert numbers == sorted(numbers)


def test_aiokafka_round_trip_and_interop(kafka_bootstrap: str, unique: str) -> None:
    topic = f"test-{unique}.aiokafka"
    make_topic(kafka_bootstrap, topic, partitions=1)

    async def produce_and_consume() -> list[tuple[bytes | None, bytes | None]]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=5)
        await producer.start()
        try:
            for i in range(50):
                await producer.send(topic, key=f"k{i}".encode(), value=f"v{i}".encode())
            await producer.flush()
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            group_id=f"aio-{unique}",
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        received: list[tuple[bytes | None, bytes | None]] = []
        try:
            async with asyncio.timeout(20):
                async for record in consumer:
                    received.append((record.key, record.value))
                    if len(received) == 50:
                        break
        finally:
            await consumer.stop()
        return received

    received = asyncio.run(produce_and_consume())
    assert received == [(f"k{i}".encode(), f"v{i}".encode()) for i in range(50)]

    # What aiokafka wrote, confluent-kafka reads: both speak this broker version.
    consumer = create_consumer(settings_for(kafka_bootstrap), group_id=None)
    consumer.assign([TopicPartition(topic, 0, 0)])
    try:
        records = read_all(consumer, 50)
    finally:
        consumer.close()
    assert [(r.key(), r.value()) for r in records] == received
