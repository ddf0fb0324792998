"""A batch: records consumed since the last commit, with their actions, closed by count, bytes or age."""

from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import Message, TopicPartition

from harrier.indexer.actions import Action

__all__ = ["Batch", "BatchLimits"]


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """A batch is shipped when any limit is reached (``indexer.batch-*`` settings)."""

    max_records: int
    max_bytes: int
    max_age_s: float


class Batch:
    """Records in consumption order; ``actions[i]`` is the action of ``records[i]`` (or None).

    A None action is a record that needs no request (an execution-states tombstone) or that
    was already dead-lettered; its offset is still committed with the batch.
    """

    __slots__ = ("actions", "bytes", "limits", "records", "started")

    def __init__(self, limits: BatchLimits) -> None:
        self.limits = limits
        self.records: list[Message] = []
        self.actions: list[Action | None] = []
        self.bytes = 0
        self.started = 0.0

    def __len__(self) -> int:
        return len(self.records)

    def add(self, record: Message, action: Action | None) -> None:
        """Append a record and its action."""
        if not self.records:
            self.started = time.monotonic()
        self.records.append(record)
        self.actions.append(action)
        if action is not None and action.source is not None:
            self.bytes += len(action.source)

    def ready(self, now: float) -> bool:
        """True when the batch should be shipped now."""
        if not self.records:
            return False
        return (
            len(self.records) >= self.limits.max_records
            or self.bytes >= self.limits.max_bytes
            or now - self.started >= self.limits.max_age_s
        )

    def pending(self) -> list[int]:
        """Positions of the records that still have an action to ship."""
        return [i for i, action in enumerate(self.actions) if action is not None]

    def offsets(self) -> list[TopicPartition]:
        """The offsets to commit once the batch is done: last offset + 1 per partition."""
        last: dict[tuple[str, int], int] = {}
        for record in self.records:
            last[(record.topic(), record.partition())] = record.offset()  # type: ignore[index]
        return [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in last.items()]

    def clear(self) -> None:
        """Forget everything (after a commit, or when the partitions were revoked)."""
        self.records = []
        self.actions = []
        self.bytes = 0
