"""In-memory stand-ins for the Kafka clients, for unit tests of the runtime's pieces."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from confluent_kafka import Message, TopicPartition

from harrier.executor.processing import InputRecord, OutputRecord
from harrier.executor.store import PartitionStore


class RawProducer:
    """Records every call a confluent-kafka Producer would receive."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.records: list[dict[str, Any]] = []

    def produce(self, topic: str, **kwargs: Any) -> None:
        self.records.append({"topic": topic, **kwargs})
        self.calls.append(("produce", topic))

    def begin_transaction(self) -> None:
        self.calls.append(("begin", None))

    def send_offsets_to_transaction(self, offsets: list, metadata: object, timeout: float) -> None:
        sent = [(tp.topic, tp.partition, tp.offset) for tp in offsets]
        self.calls.append(("send_offsets", sent))

    def commit_transaction(self, timeout: float) -> None:
        self.calls.append(("commit", None))

    def abort_transaction(self, timeout: float) -> None:
        self.calls.append(("abort", None))


class GroupConsumer:
    """Positions per (topic, partition); pause, resume and seek are recorded."""

    def __init__(self, positions: dict[tuple[str, int], int] | None = None) -> None:
        self.positions = positions or {}
        self.calls: list[tuple[str, Any]] = []

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        positions = self.positions
        return [
            TopicPartition(tp.topic, tp.partition, positions.get((tp.topic, tp.partition), -1001))
            for tp in partitions
        ]

    def consumer_group_metadata(self) -> object:
        return "group-metadata"

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.calls.append(("pause", sorted((tp.topic, tp.partition) for tp in partitions)))

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.calls.append(("resume", sorted((tp.topic, tp.partition) for tp in partitions)))

    def seek(self, tp: TopicPartition) -> None:
        self.calls.append(("seek", (tp.topic, tp.partition, tp.offset)))

    def committed(self, partitions: list[TopicPartition], timeout: float = 0) -> list[TopicPartition]:
        """Committed offsets are the positions: nothing is in flight in these tests."""
        return self.position(partitions)


def message(
    topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None
) -> Message:
    """A real confluent-kafka Message, as the consumer would return it."""
    return Message(
        topic=topic, partition=partition, offset=offset, key=key, value=value, timestamp=(1, 1_000)
    )


class Codec:
    """States are dicts; ``due`` (epoch seconds) is the timer."""

    def encode(self, state: dict[str, Any]) -> bytes:
        return orjson.dumps(state)

    def decode(self, data: bytes) -> dict[str, Any]:
        return orjson.loads(data)  # type: ignore[no-any-return]

    def next_timer(self, state: dict[str, Any]) -> datetime | None:
        due = state.get("due")
        return None if due is None else datetime.fromtimestamp(due, UTC)

    def rests(self, state: dict[str, Any]) -> bool:
        return bool(state.get("rests"))


class Adder:
    """Adds ``n`` to the key's total; raises on ``n < 0``; a timer doubles the total.

    A failure is recorded in the key's state (output on ``errors``) when the record says
    ``"record": true``, makes ``fail`` raise with ``"record": "raise"``, and is left to the
    dead letters otherwise (timers included).
    """

    codec = Codec()

    def __init__(self) -> None:
        self.fired: list[tuple[str, datetime]] = []

    def decode(self, source: str, value: bytes) -> dict[str, Any]:
        return orjson.loads(value)  # type: ignore[no-any-return]

    def process(self, record: InputRecord, store: PartitionStore) -> list[OutputRecord]:
        total = (store.get(record.key) or {"total": 0})["total"] + record.value["n"]
        store.put(record.key, {"total": total, "due": record.value.get("due")})
        if record.value["n"] < 0:
            raise ValueError("negative")
        return [OutputRecord("out", record.key.encode(), str(total).encode())]

    def punctuate(self, key: str, now: datetime, store: PartitionStore) -> list[OutputRecord]:
        self.fired.append((key, now))
        state = store.get(key)
        if state["total"] == 13:
            raise RuntimeError("unlucky")
        store.put(key, {"total": state["total"] * 2})
        return [OutputRecord("out", key.encode(), b"timer", partition=0)]

    def fail(self, key: str, value: Any, error: Exception, store: PartitionStore) -> list[OutputRecord] | None:
        record = None if value is None else value.get("record")
        if record == "raise":
            raise RuntimeError("cannot record it either")
        if not record:
            return None
        store.put(key, {"failed": f"{type(error).__name__}: {error}"})
        return [OutputRecord("errors", key.encode(), b"failed")]
