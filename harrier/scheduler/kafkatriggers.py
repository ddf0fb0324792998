"""Consumers of external Kafka topics for the kafka.RealtimeTrigger and kafka.Trigger.

One consumer per trigger, created from the trigger's own ``properties`` and ``groupId``, and
run only by the owner of the trigger's partition. Offsets commit in one of two ways:

- the topic is on Harrier's cluster: the consumed offsets join the partition's transaction
  (``send_offsets``), so each record starts exactly one execution;
- another cluster: offsets are committed after the transaction holding the executions, so
  a crash in between redelivers records; their executions get the same ids (topic,
  partition, offset), so the executor sees a duplicate create, not a second execution.
"""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from harrier.core.triggers import KafkaRealtimeTrigger, KafkaTrigger
from harrier.scheduler.deserializers import deserializer
from harrier.scheduler.firing import record_variables

__all__ = ["KafkaTriggerSource"]

logger = logging.getLogger("harrier.scheduler")


# Declared by the Kafka triggers but not acted on by this consumer (camelCase for the log).
_NOT_SUPPORTED = {
    "since": "since",
    "serde_properties": "serdeProperties",
    "max_duration": "maxDuration",
    "poll_duration": "pollDuration",
}


class KafkaTriggerSource:
    """The consumer of one Kafka trigger, with the records read but not yet committed."""

    def __init__(
        self, uid: str, partition: int, trigger: KafkaRealtimeTrigger | KafkaTrigger, *, harrier_bootstrap: str = ""
    ) -> None:
        self.uid = uid
        self.partition = partition
        self.trigger = trigger
        self.realtime = isinstance(trigger, KafkaRealtimeTrigger)
        where = f"{uid}: "
        unsupported = [name for name in _NOT_SUPPORTED if getattr(trigger, name, None) is not None]
        if unsupported:
            logger.warning("trigger %s: %s not supported yet and ignored", uid, ", ".join(_NOT_SUPPORTED[n] for n in unsupported))
        self._key = deserializer(trigger.key_deserializer, where + "keyDeserializer")
        self._value = deserializer(trigger.value_deserializer, where + "valueDeserializer")
        config: dict[str, Any] = {str(k): v for k, v in trigger.properties.items()}
        config["group.id"] = trigger.group_id or config.get("group.id") or f"harrier-trigger-{uid}"
        config["enable.auto.commit"] = False
        self.transactional = _servers(str(config.get("bootstrap.servers", ""))) == _servers(harrier_bootstrap)
        self._consumer = Consumer(config)
        self._buffer: list[dict[str, Any]] = []
        self._to_commit: dict[tuple[str, int], int] = {}
        topics = trigger.topic if isinstance(trigger.topic, list) else [trigger.topic] if trigger.topic else []
        if trigger.partitions is not None:
            self._consumer.assign([TopicPartition(t, p) for t in topics for p in trigger.partitions])
        else:
            self._consumer.subscribe(topics or [f"^{trigger.topic_pattern}"])

    def poll(self, limit: int) -> list[dict[str, Any]]:
        """Read up to ``limit`` records without waiting; their trigger variables, in order."""
        room = limit - len(self._buffer)
        if room > 0:
            for message in self._consumer.consume(num_messages=room, timeout=0):
                self._append(message)
        return self._buffer

    def take(self, count: int) -> list[dict[str, Any]]:
        """Hand out the first ``count`` buffered records; they commit with the next ``commit``."""
        taken, self._buffer = self._buffer[:count], self._buffer[count:]
        for record in taken:
            self._to_commit[(record["topic"], record["partition"])] = record["offset"] + 1
        return taken

    def take_offsets(self) -> list[TopicPartition]:
        """The next offsets of the records handed out, for a transaction (then forgotten)."""
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._to_commit.items()]
        self._to_commit = {}
        return offsets

    def group_metadata(self) -> object:
        """The consumer's group metadata, which fences a stale member's transactional commit."""
        return self._consumer.consumer_group_metadata()

    def commit(self) -> None:
        """Commit the offsets of the records handed out (their executions are committed)."""
        if not self._to_commit:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._to_commit.items()]
        self._to_commit = {}
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except Exception as exc:  # noqa: BLE001 - redelivery is safe: ids are per record
            logger.warning("trigger %s: committing offsets failed, records may be redelivered: %s", self.uid, exc)

    def close(self) -> None:
        """Leave the trigger's group; uncommitted records go to whoever consumes next."""
        self._consumer.close()

    def _append(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                logger.warning("trigger %s: kafka error: %s", self.uid, error.str())
            return
        try:
            key, value = self._key(message.key()), self._value(message.value())
        except Exception as exc:  # noqa: BLE001 - any decode failure is reported, record skipped
            logger.error("trigger %s: %s[%d]@%d cannot be deserialized, skipped: %s",
                         self.uid, message.topic(), message.partition(), message.offset(), exc)
            self._to_commit[(message.topic() or "", message.partition() or 0)] = (message.offset() or 0) + 1
            return
        headers = {name: None if raw is None else raw.decode("utf-8", "replace") for name, raw in message.headers() or ()}
        _, timestamp = message.timestamp()
        self._buffer.append(record_variables(
            message.topic() or "", message.partition() or 0, message.offset() or 0, timestamp, key, value, headers))


def _servers(bootstrap: str) -> frozenset[str]:
    return frozenset(server.strip() for server in bootstrap.split(",") if server.strip())
