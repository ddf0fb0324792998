"""A thin typed wrapper over a transactional confluent-kafka producer.

Its only job beyond delegation is turning librdkafka's transaction errors into the three
outcomes a loop must handle differently:

- ``ProducerFenced``: another instance owns the ``transactional.id``; stop, do not commit.
- ``TransactionAbortable``: abort, resume from the last commit (the executor restarts its
  stream process), reprocess.
- ``ProducerFatal``: recreate the producer.

Retriable errors of send_offsets, commit and abort are retried here until the timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import NoReturn

from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition

from harrier.topics.exceptions import (
    ProducerFatal,
    ProducerFenced,
    TopicsError,
    TransactionAbortable,
)

__all__ = ["FENCED_CODES", "TransactionalProducer", "translate_kafka_error"]

# librdkafka reports fencing as its local _FENCED; brokers answer PRODUCER_FENCED (KIP-588)
# or, from older code paths, INVALID_PRODUCER_EPOCH.
FENCED_CODES = frozenset(
    {KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH}
)

Headers = Sequence[tuple[str, bytes | str | None]]
DeliveryCallback = Callable[[KafkaError | None, object], None]


def translate_kafka_error(error: KafkaError) -> TopicsError | None:
    """The Harrier exception for a librdkafka error, or None if it is not a producer outcome."""
    if error.code() in FENCED_CODES:
        return ProducerFenced(error.str())
    if error.fatal():
        return ProducerFatal(error.str())
    if error.txn_requires_abort():
        return TransactionAbortable(error.str())
    return None


class TransactionalProducer:
    """A producer whose writes and consumed offsets commit atomically.

    Create it with ``harrier.topics.clients.create_transactional_producer``. Call
    ``init()`` once (this fences older instances with the same id), then per commit interval:
    ``begin()``, ``produce()`` ..., ``send_offsets()``, ``commit()``.
    """

    __slots__ = ("_producer", "timeout_s", "transactional_id")

    def __init__(self, producer: Producer, transactional_id: str, timeout_s: float = 30.0) -> None:
        self._producer = producer
        self.transactional_id = transactional_id
        self.timeout_s = timeout_s

    @property
    def raw(self) -> Producer:
        """The underlying confluent-kafka producer (metrics, poll)."""
        return self._producer

    def init(self) -> None:
        """Register the transactional id, fencing and aborting any older instance's work."""
        self._call(self._producer.init_transactions, self.timeout_s)

    def begin(self) -> None:
        """Start a transaction; every produce until ``commit`` or ``abort`` belongs to it."""
        self._call(self._producer.begin_transaction)

    def produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Headers | None = None,
        partition: int | None = None,
        on_delivery: DeliveryCallback | None = None,
    ) -> None:
        """Queue a record in the open transaction; waits for queue space instead of failing."""
        kwargs: dict[str, object] = {"value": value, "key": key}
        if headers:
            kwargs["headers"] = list(headers)
        if partition is not None:
            kwargs["partition"] = partition
        if on_delivery is not None:
            kwargs["on_delivery"] = on_delivery
        while True:
            try:
                self._producer.produce(topic, **kwargs)
                return
            except BufferError:
                # The local queue is full: serve delivery reports to make room.
                self._producer.poll(0.01)
            except KafkaException as exc:
                _reraise(exc)

    def send_offsets(self, offsets: Sequence[TopicPartition], group_metadata: object) -> None:
        """Add the consumer's next offsets to the transaction (committed with it), retrying
        retriable errors (the coordinator moving during a broker failover) until the timeout."""
        offsets = list(offsets)
        self._retrying(
            lambda timeout_s: self._producer.send_offsets_to_transaction(offsets, group_metadata, timeout_s)
        )

    def commit(self) -> None:
        """Commit the transaction, retrying retriable errors until the timeout."""
        self._retrying(self._producer.commit_transaction)

    def abort(self) -> None:
        """Abort the transaction; its records are never seen by read_committed consumers."""
        self._retrying(self._producer.abort_transaction)

    def poll(self, timeout_s: float = 0.0) -> int:
        """Serve delivery callbacks."""
        return self._producer.poll(timeout_s)  # type: ignore[no-any-return]

    def _retrying(self, operation: Callable[[float], None]) -> None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                operation(max(deadline - time.monotonic(), 0.001))
                return
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                translated = translate_kafka_error(error)
                if translated is not None:
                    raise translated from exc
                if not error.retriable() or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    def _call(self, operation: Callable[..., None], *args: object) -> None:
        try:
            operation(*args)
        except KafkaException as exc:
            _reraise(exc)


def _reraise(exc: KafkaException) -> NoReturn:
    error = exc.args[0] if exc.args else None
    translated = translate_kafka_error(error) if isinstance(error, KafkaError) else None
    if translated is None:
        raise exc
    raise translated from exc
