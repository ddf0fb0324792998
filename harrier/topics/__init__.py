"""Harrier's topics: specs, admin, serdes, client factories, transactions and dead letters."""

from __future__ import annotations

from harrier.topics.admin import Drift, TopicReport, ensure_topics
from harrier.topics.clients import (
    admin_config,
    consumer_config,
    create_admin,
    create_consumer,
    create_producer,
    create_transactional_producer,
    producer_config,
)
from harrier.topics.deadletters import DeadLetter, read_dead_letter, send_to_dead_letters
from harrier.topics.exceptions import (
    DecodeError,
    ProducerFatal,
    ProducerFenced,
    TopicAdminError,
    TopicsError,
    TransactionAbortable,
)
from harrier.topics.serdes import (
    ENVELOPE_VERSION,
    Envelope,
    ModelSerde,
    decode_envelope,
    decode_key,
    encode_data,
    encode_key,
)
from harrier.topics.specs import (
    CO_PARTITIONED,
    LOGICAL_TOPICS,
    TopicSpec,
    build_specs,
    largest_message_bytes,
    topic_name,
)
from harrier.topics.transactions import TransactionalProducer, translate_kafka_error

__all__ = [
    "CO_PARTITIONED",
    "ENVELOPE_VERSION",
    "LOGICAL_TOPICS",
    "DeadLetter",
    "DecodeError",
    "Drift",
    "Envelope",
    "ModelSerde",
    "ProducerFatal",
    "ProducerFenced",
    "TopicAdminError",
    "TopicReport",
    "TopicSpec",
    "TopicsError",
    "TransactionAbortable",
    "TransactionalProducer",
    "admin_config",
    "build_specs",
    "consumer_config",
    "create_admin",
    "create_consumer",
    "create_producer",
    "create_transactional_producer",
    "decode_envelope",
    "decode_key",
    "encode_data",
    "encode_key",
    "ensure_topics",
    "largest_message_bytes",
    "producer_config",
    "read_dead_letter",
    "send_to_dead_letters",
    "topic_name",
    "translate_kafka_error",
]
