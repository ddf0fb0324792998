"""Dead-letter records carry the original bytes and where they came from."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from confluent_kafka import Message

from harrier.topics.deadletters import MAX_ERROR_BYTES, read_dead_letter, send_to_dead_letters


class RecordingProducer:
    """Collects produced records; stands in for the producer API, not for a broker."""

    def __init__(self) -> None:
        self.records: list[Message] = []

    def produce(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes | str | None]] | None = None,
    ) -> None:
        self.records.append(
            Message(
                topic=topic,
                partition=0,
                offset=0,
                key=key,
                value=value,
                headers=list(headers or ()),
                timestamp=(1, 0),
            )
        )


SOURCE = Message(
    topic="harrier.executions",
    partition=3,
    offset=42,
    key=b"exec-1",
    value=b"\x00not json",
    headers=[("trace", b"abc")],
    timestamp=(1, 1_700_000_000_000),
)


def test_dead_letter_keeps_record_and_origin() -> None:
    producer = RecordingProducer()
    send_to_dead_letters(producer, SOURCE, ValueError("bad value"), topic="harrier.dead-letters")
    [record] = producer.records
    assert record.topic() == "harrier.dead-letters"
    letter = read_dead_letter(record)
    assert (letter.key, letter.value) == (b"exec-1", b"\x00not json")
    assert (letter.topic, letter.partition, letter.offset) == ("harrier.executions", 3, 42)
    assert letter.timestamp_ms == 1_700_000_000_000
    assert letter.error == "ValueError: bad value"
    assert letter.headers == (("trace", b"abc"),)


def test_long_errors_are_truncated_to_valid_utf8() -> None:
    producer = RecordingProducer()
    send_to_dead_letters(producer, SOURCE, "é" * MAX_ERROR_BYTES, topic="dlq")
    error = dict(producer.records[0].headers())["harrier.dlq.error"]
    assert len(error) <= MAX_ERROR_BYTES
    assert error.decode() == "é" * (MAX_ERROR_BYTES // 2)


def test_reading_a_plain_record_fails() -> None:
    with pytest.raises(ValueError, match="not a dead letter: missing headers"):
        read_dead_letter(SOURCE)
