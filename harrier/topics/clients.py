"""Kafka client factories from the settings, with low-latency defaults.

Properties are layered, later wins:

1. Harrier's defaults below (tuned for latency: a 5 ms linger, a 25 ms fetch wait);
2. ``kafka.properties`` (every client);
3. ``kafka.producer`` / ``kafka.consumer`` / ``kafka.admin``;
4. what the call site needs (``group.id``, ``transactional.id``, explicit ``overrides``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient

from harrier.config.settings import Settings
from harrier.topics.repeats import RepeatFilter
from harrier.topics.specs import build_specs, largest_message_bytes
from harrier.topics.transactions import TransactionalProducer

__all__ = [
    "CONSUMER_DEFAULTS",
    "PRODUCER_DEFAULTS",
    "admin_config",
    "consumer_config",
    "create_admin",
    "create_consumer",
    "create_producer",
    "create_transactional_producer",
    "producer_config",
]

logger = logging.getLogger("harrier.kafka")
# A broker that is down makes every client fail each reconnect: a line a minute, not dozens a second.
logger.addFilter(RepeatFilter())

Properties = dict[str, Any]

# Room above the largest topic limit for librdkafka's own framing of a message.
_FRAMING_BYTES = 64 * 1024

PRODUCER_DEFAULTS: Properties = {
    # Batch for at most 5 ms: enough to coalesce a burst, small against a 25 ms commit.
    "linger.ms": 5,
    "acks": "all",
    "enable.idempotence": True,
    "compression.type": "lz4",
    "socket.nagle.disable": True,
}

CONSUMER_DEFAULTS: Properties = {
    # librdkafka waits 500 ms for fetch.min.bytes by default; that would dominate latency.
    "fetch.wait.max.ms": 25,
    "fetch.min.bytes": 1,
    # Callers commit (in a transaction, or after the work is done).
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    # Executor output is transactional: never show records of aborted transactions.
    "isolation.level": "read_committed",
    "enable.partition.eof": False,
    "socket.nagle.disable": True,
}

# Kafka Streams' exactly-once default: a crashed instance's open transaction stops blocking
# read_committed consumers after 10 s, not the broker's 60 s.
TRANSACTION_TIMEOUT_MS = 10_000


def producer_config(
    settings: Settings, client_id: str = "harrier", overrides: Mapping[str, Any] | None = None
) -> Properties:
    """The librdkafka properties of a producer."""
    limit = largest_message_bytes(build_specs(settings)) + _FRAMING_BYTES
    config = _base(settings, client_id)
    config.update(PRODUCER_DEFAULTS)
    config["message.max.bytes"] = limit
    config.update(settings.kafka.properties)
    config.update(settings.kafka.producer)
    config.update(overrides or {})
    return config


def consumer_config(
    settings: Settings,
    group_id: str | None,
    client_id: str = "harrier",
    overrides: Mapping[str, Any] | None = None,
) -> Properties:
    """The librdkafka properties of a consumer; ``group_id`` None for assign-only use."""
    config = _base(settings, client_id)
    config.update(CONSUMER_DEFAULTS)
    config.update(settings.kafka.properties)
    config.update(settings.kafka.consumer)
    # librdkafka requires a group.id even for a consumer that only assign()s.
    config["group.id"] = group_id or f"{client_id}-unmanaged"
    config.update(overrides or {})
    return config


def admin_config(settings: Settings, overrides: Mapping[str, Any] | None = None) -> Properties:
    """The librdkafka properties of an admin client."""
    config = _base(settings, "harrier-admin")
    config.update(settings.kafka.properties)
    config.update(settings.kafka.admin)
    config.update(overrides or {})
    return config


def create_producer(
    settings: Settings, client_id: str = "harrier", overrides: Mapping[str, Any] | None = None
) -> Producer:
    """An idempotent producer (not transactional)."""
    return Producer(producer_config(settings, client_id, overrides))


def create_transactional_producer(
    settings: Settings,
    transactional_id: str,
    client_id: str = "harrier",
    overrides: Mapping[str, Any] | None = None,
    timeout_s: float = 30.0,
) -> TransactionalProducer:
    """A transactional producer, already initialised (older instances with the id are fenced).

    ``transactional_id`` must be stable per unit of work (e.g. per stream thread) so a restart
    fences its predecessor.
    """
    extra = {"transactional.id": transactional_id, "transaction.timeout.ms": TRANSACTION_TIMEOUT_MS}
    extra.update(overrides or {})
    producer = TransactionalProducer(
        Producer(producer_config(settings, client_id, extra)), transactional_id, timeout_s
    )
    producer.init()
    return producer


def create_consumer(
    settings: Settings,
    group_id: str | None,
    client_id: str = "harrier",
    overrides: Mapping[str, Any] | None = None,
) -> Consumer:
    """A consumer reading committed records, committing only when the caller says so."""
    return Consumer(consumer_config(settings, group_id, client_id, overrides))


def create_admin(settings: Settings, overrides: Mapping[str, Any] | None = None) -> AdminClient:
    """An admin client for topic management."""
    return AdminClient(admin_config(settings, overrides))


def _base(settings: Settings, client_id: str) -> Properties:
    return {
        "bootstrap.servers": settings.kafka.bootstrap_servers,
        "client.id": client_id,
        "error_cb": _log_error,
        "logger": logger,
    }


def _log_error(error: KafkaError) -> None:
    # Transport errors are retried by librdkafka and usually transient; fatal ones also
    # surface from the next call on the client.
    level = logging.ERROR if error.fatal() else logging.WARNING
    logger.log(level, "kafka client error: %s", error.str())
