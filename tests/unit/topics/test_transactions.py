"""TransactionalProducer: librdkafka's transaction errors become the outcomes a loop handles."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from harrier.topics.exceptions import ProducerFenced, TransactionAbortable
from harrier.topics.transactions import TransactionalProducer


class Producer:
    """Fails ``send_offsets_to_transaction`` with the queued errors, then succeeds."""

    def __init__(self, *errors: KafkaError) -> None:
        self.errors = list(errors)
        self.sent = 0

    def send_offsets_to_transaction(self, offsets: list, metadata: object, timeout: float) -> None:
        if self.errors:
            raise KafkaException(self.errors.pop(0))
        self.sent += 1


OFFSETS = [TopicPartition("t", 0, 5)]


def test_a_retriable_send_offsets_error_is_retried() -> None:
    # The transaction coordinator moving during a broker failover.
    raw = Producer(KafkaError(KafkaError._TRANSPORT, "broker transport failure", retriable=True))
    TransactionalProducer(raw, "tx").send_offsets(OFFSETS, "metadata")  # type: ignore[arg-type]
    assert raw.sent == 1 and raw.errors == []


def test_an_abortable_send_offsets_error_asks_for_an_abort() -> None:
    raw = Producer(KafkaError(KafkaError._STATE, "txn failed", txn_requires_abort=True))
    with pytest.raises(TransactionAbortable, match="txn failed"):
        TransactionalProducer(raw, "tx").send_offsets(OFFSETS, "metadata")  # type: ignore[arg-type]


def test_fencing_stops_retrying() -> None:
    raw = Producer(KafkaError(KafkaError._FENCED, "fenced", retriable=True))
    with pytest.raises(ProducerFenced):
        TransactionalProducer(raw, "tx").send_offsets(OFFSETS, "metadata")  # type: ignore[arg-type]
    assert raw.sent == 0


def test_a_retriable_error_past_the_timeout_is_raised() -> None:
    raw = Producer(*[KafkaError(KafkaError._TRANSPORT, "down", retriable=True)] * 1000)
    with pytest.raises(KafkaException, match="down"):
        TransactionalProducer(raw, "tx", timeout_s=0.05).send_offsets(OFFSETS, "metadata")  # type: ignore[arg-type]
