"""Dead letters: a record that could not be decoded or processed, kept whole with its error.

The dead letter has the original key and value bytes untouched (so it can be replayed as
is), the original headers, and ``harrier.dlq.*`` headers saying where it came from and why::

    harrier.dlq.topic      source topic
    harrier.dlq.partition  source partition (decimal)
    harrier.dlq.offset     source offset (decimal)
    harrier.dlq.timestamp  source record timestamp in ms (decimal)
    harrier.dlq.error      "ExceptionType: message", at most 8 KiB

``send_to_dead_letters`` only queues the record (no flush), so it is safe inside a
transaction: the dead letter commits or aborts with the rest of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from confluent_kafka import Message

__all__ = ["DeadLetter", "SupportsProduce", "read_dead_letter", "send_to_dead_letters"]

HEADER_PREFIX = "harrier.dlq."
MAX_ERROR_BYTES = 8 * 1024


class SupportsProduce(Protocol):
    """A confluent-kafka ``Producer`` or a ``TransactionalProducer``."""

    def produce(
        self,
        topic: str,
        value: bytes | None = ...,
        key: bytes | None = ...,
        headers: Sequence[tuple[str, bytes | str | None]] | None = ...,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A dead letter read back: the original record and why it failed."""

    key: bytes | None
    value: bytes | None
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    error: str
    headers: tuple[tuple[str, bytes | None], ...]


def send_to_dead_letters(
    producer: SupportsProduce, record: Message, error: BaseException | str, *, topic: str
) -> None:
    """Queue ``record`` on the dead-letter ``topic`` with its origin and ``error``."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    # Cut on bytes, then drop a partial trailing character so the header stays valid UTF-8.
    encoded = text.encode("utf-8", "replace")[:MAX_ERROR_BYTES]
    encoded = encoded.decode("utf-8", "ignore").encode()
    _, timestamp = record.timestamp()
    headers: list[tuple[str, bytes | str | None]] = list(record.headers() or ())
    headers += [
        (HEADER_PREFIX + "topic", (record.topic() or "").encode()),
        (HEADER_PREFIX + "partition", str(record.partition()).encode()),
        (HEADER_PREFIX + "offset", str(record.offset()).encode()),
        (HEADER_PREFIX + "timestamp", str(timestamp).encode()),
        (HEADER_PREFIX + "error", encoded),
    ]
    producer.produce(topic, value=record.value(), key=record.key(), headers=headers)


def read_dead_letter(record: Message) -> DeadLetter:
    """Parse a record of the dead-letter topic; ``ValueError`` if it lacks the headers."""
    origin: dict[str, bytes] = {}
    original: list[tuple[str, bytes | None]] = []
    for name, value in record.headers() or ():
        if name.startswith(HEADER_PREFIX) and value is not None:
            origin[name[len(HEADER_PREFIX) :]] = value
        else:
            original.append((name, value))
    missing = {"topic", "partition", "offset", "timestamp", "error"} - origin.keys()
    if missing:
        raise ValueError(f"not a dead letter: missing headers {sorted(missing)}")
    return DeadLetter(
        key=record.key(),
        value=record.value(),
        topic=origin["topic"].decode(),
        partition=int(origin["partition"]),
        offset=int(origin["offset"]),
        timestamp_ms=int(origin["timestamp"]),
        error=origin["error"].decode("utf-8", "replace"),
        headers=tuple(original),
    )
