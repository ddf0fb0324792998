"""Assign-only consumers: every partition of some topics, from the start or from the end.

The webserver's consumers are not in a consumer group: each process reads every partition
(the flow table needs all flows, the follow feed all executions), and nothing is committed.
"""

from __future__ import annotations

import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

from harrier.webserver.exceptions import WebserverError

__all__ = ["CatchUp", "assign_all"]

Partition = tuple[str, int]


def assign_all(
    consumer: Consumer, topics: list[str], *, from_end: bool, timeout_s: float = 10.0
) -> dict[Partition, int]:
    """Assign every partition of ``topics``; return the partitions still to read up to now.

    From the start, the result maps each non-empty partition to its high watermark (what
    "caught up" means). ``from_end`` starts at the high watermark resolved now rather than at
    the first fetch, so a record produced after this call is never skipped; the result then
    maps every partition to that offset, where reading starts.
    """
    deadline = time.monotonic() + timeout_s
    try:
        metadata = consumer.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise WebserverError(f"cannot list topics: {exc.args[0]}") from exc
    assignment: list[TopicPartition] = []
    pending: dict[Partition, int] = {}
    for topic in topics:
        described = metadata.topics.get(topic)
        if described is None or described.error is not None or not described.partitions:
            raise WebserverError(f"topic {topic} does not exist: create the topics first (harrier infra up)")
        for partition in sorted(described.partitions):
            low, high = _watermarks(consumer, TopicPartition(topic, partition), deadline)
            if from_end or high > low:
                pending[(topic, partition)] = high
            assignment.append(TopicPartition(topic, partition, high if from_end else low))
    consumer.assign(assignment)
    return pending


def _watermarks(consumer: Consumer, partition: TopicPartition, deadline: float) -> tuple[int, int]:
    # A topic created moments ago may not have its leaders known everywhere yet.
    while True:
        try:
            timeout = max(0.1, deadline - time.monotonic())
            low, high = consumer.get_watermark_offsets(partition, timeout=timeout, cached=False)
            return low, high
        except KafkaException as exc:
            if time.monotonic() >= deadline:
                where = f"{partition.topic} [{partition.partition}]"
                raise WebserverError(f"cannot read the offsets of {where}: {exc.args[0].str()}") from exc
            time.sleep(0.1)


class CatchUp:
    """Tracks whether a from-the-start reader has read up to the watermarks it began with."""

    __slots__ = ("_pending",)

    def __init__(self, pending: dict[Partition, int]) -> None:
        self._pending = dict(pending)

    @property
    def done(self) -> bool:
        """True once every partition was read up to its starting high watermark."""
        return not self._pending

    def consumed(self, topic: str, partition: int, offset: int) -> None:
        """Note one consumed record."""
        end = self._pending.get((topic, partition))
        if end is not None and offset + 1 >= end:
            del self._pending[(topic, partition)]

    def check_positions(self, consumer: Consumer) -> None:
        """Settle partitions whose tail holds no record to return (transaction markers)."""
        if not self._pending:
            return
        positions = consumer.position([TopicPartition(t, p) for t, p in self._pending])
        for tp in positions:
            if tp.offset >= self._pending[(tp.topic, tp.partition)]:
                del self._pending[(tp.topic, tp.partition)]
