"""Mapping librdkafka errors to the three outcomes a loop handles."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError

from harrier.topics.exceptions import ProducerFatal, ProducerFenced, TransactionAbortable
from harrier.topics.transactions import translate_kafka_error


@pytest.mark.parametrize(
    "code", [KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH]
)
def test_fencing_codes_become_producer_fenced(code: int) -> None:
    # Fencing is fatal in librdkafka, but the loop must know it was fenced, not merely broken.
    assert isinstance(translate_kafka_error(KafkaError(code, "x", fatal=True)), ProducerFenced)
    assert isinstance(translate_kafka_error(KafkaError(code, "x")), ProducerFenced)


def test_other_fatal_errors() -> None:
    error = KafkaError(KafkaError.CLUSTER_AUTHORIZATION_FAILED, "no", fatal=True)
    assert isinstance(translate_kafka_error(error), ProducerFatal)


def test_abortable_errors() -> None:
    error = KafkaError(KafkaError._MSG_TIMED_OUT, "late", txn_requires_abort=True)
    translated = translate_kafka_error(error)
    assert isinstance(translated, TransactionAbortable)
    assert "late" in str(translated)


def test_retriable_errors_are_not_translated() -> None:
    assert translate_kafka_error(KafkaError(KafkaError._TIMED_OUT, "t", retriable=True)) is None
