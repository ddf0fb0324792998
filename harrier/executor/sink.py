"""Where a stream process's records go: outputs, changelog records and dead letters.

Everything goes through one producer, so in exactly-once mode every record belongs to the
open transaction and commits (or aborts) with the consumed offsets. ``pending`` counts the
records produced since the last commit; the checkpoint uses it to skip empty commits.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Protocol

from confluent_kafka import Message

from harrier.executor.exceptions import OutputTooLarge
from harrier.executor.processing import Headers, OutputRecord
from harrier.topics.deadletters import HEADER_PREFIX, send_to_dead_letters

__all__ = ["RecordSink", "SupportsProduce"]


class SupportsProduce(Protocol):
    """A ``TransactionalProducer`` or a plain confluent-kafka ``Producer``."""

    def produce(
        self,
        topic: str,
        value: bytes | None = ...,
        key: bytes | None = ...,
        headers: Headers | None = ...,
        partition: int | None = ...,
    ) -> None: ...


class RecordSink:
    """Produces a stream process's records to their physical topics."""

    __slots__ = (
        "_dead_letters", "_limits", "_names", "_prefix", "_producer", "dead_lettered", "pending"
    )

    def __init__(
        self,
        producer: SupportsProduce,
        prefix: str,
        dead_letters_topic: str,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self._producer = producer
        self._prefix = prefix
        self._dead_letters = dead_letters_topic
        # max.message.bytes per logical topic: see ``check``.
        self._limits = dict(limits or {})
        self._names: dict[str, str] = {}
        self.pending = 0
        self.dead_lettered = 0

    def check(self, outputs: Sequence[OutputRecord]) -> None:
        """``OutputTooLarge`` if an output exceeds its topic's ``max.message.bytes``.

        The broker would reject it at commit time, aborting the transaction, and the
        reprocessed record would fail the same way forever; refused here, the processor
        records the failure instead (or the record is dead-lettered). Sizes are uncompressed,
        so this errs on the safe side.
        """
        limits = self._limits
        for output in outputs:
            limit = limits.get(output.topic)
            if limit is None or output.value is None:
                continue
            size = len(output.value) + (len(output.key) if output.key else 0)
            if size > limit:
                raise OutputTooLarge(
                    f"output to {output.topic} is {size} bytes, over the topic's "
                    f"max.message.bytes of {limit}",
                    output.topic,
                    output.key,
                )

    def send_all(self, outputs: Sequence[OutputRecord]) -> None:
        """Produce the outputs of one record or timer."""
        produce = self._producer.produce
        names = self._names
        for output in outputs:
            topic = names.get(output.topic)
            if topic is None:
                topic = names[output.topic] = self._prefix + output.topic
            if output.partition is None:
                produce(topic, value=output.value, key=output.key, headers=output.headers)
            else:
                produce(
                    topic,
                    value=output.value,
                    key=output.key,
                    headers=output.headers,
                    partition=output.partition,
                )
        self.pending += len(outputs)

    def changelog(self, topic: str, partition: int, key: str, value: bytes | None) -> None:
        """Produce one changelog record to the partition of the store it belongs to."""
        self._producer.produce(topic, value=value, key=key.encode(), partition=partition)
        self.pending += 1

    def dead_letter(self, message: Message, error: BaseException) -> None:
        """Produce ``message`` with its error to the dead-letter topic."""
        send_to_dead_letters(self._producer, message, error, topic=self._dead_letters)
        self.pending += 1
        self.dead_lettered += 1

    def dead_timer(
        self, key: str, state: bytes | None, source: str, partition: int, error: BaseException
    ) -> None:
        """Produce a failed timer (no source record) as a dead letter: the key, the encoded
        state it fired for, and the error; offset -1 marks it as a timer."""
        text = f"punctuate: {type(error).__name__}: {error}"
        headers: list[tuple[str, bytes | str | None]] = [
            (HEADER_PREFIX + "topic", source.encode()),
            (HEADER_PREFIX + "partition", str(partition).encode()),
            (HEADER_PREFIX + "offset", b"-1"),
            (HEADER_PREFIX + "timestamp", str(int(time.time() * 1000)).encode()),
            (HEADER_PREFIX + "error", text.encode("utf-8", "replace")[:8192]),
        ]
        self._producer.produce(self._dead_letters, value=state, key=key.encode(), headers=headers)
        self.pending += 1
        self.dead_lettered += 1
