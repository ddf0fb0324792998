"""Kill requests: read by every worker from all partitions of `worker-controls` (no group).

A kill can arrive before the task it names (the executor sent both close together, or the
task was queued behind others), so recent kills are remembered for a while and a task that
arrives after its kill ends KILLED without running.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from confluent_kafka import OFFSET_END, Consumer, Message, TopicPartition

from harrier.core.messages import WorkerControl
from harrier.topics.exceptions import DecodeError
from harrier.topics.records import WORKER_CONTROL

__all__ = ["ControlReader", "RecentKills"]

logger = logging.getLogger("harrier.worker")

RejectHandler = Callable[[Message, BaseException], None]


class RecentKills:
    """Task run ids killed recently, bounded in number and age."""

    def __init__(self, max_entries: int = 100_000, ttl_s: float = 3600.0) -> None:
        self._entries: OrderedDict[str, float] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl_s

    def add(self, task_run_id: str) -> None:
        """Remember that `task_run_id` was killed."""
        self._entries[task_run_id] = time.monotonic() + self._ttl
        self._entries.move_to_end(task_run_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def __contains__(self, task_run_id: object) -> bool:
        expiry = self._entries.get(task_run_id)  # type: ignore[arg-type]
        if expiry is None:
            return False
        if expiry < time.monotonic():
            del self._entries[task_run_id]  # type: ignore[arg-type]
            return False
        return True


class ControlReader:
    """Non-blocking reads of kill requests issued after the worker started."""

    def __init__(self, consumer: Consumer, topic: str, on_reject: RejectHandler, timeout_s: float = 10.0) -> None:
        self._consumer = consumer
        metadata = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
        if metadata is None or metadata.error is not None:
            raise LookupError(f"topic {topic} does not exist")
        consumer.assign([TopicPartition(topic, partition, OFFSET_END) for partition in metadata.partitions])
        self._on_reject = on_reject

    def poll(self, max_records: int = 100) -> list[WorkerControl]:
        """The kill requests that arrived since the last call (bad records are rejected)."""
        controls = []
        for _ in range(max_records):
            message = self._consumer.poll(0)
            if message is None:
                break
            if message.error() is not None:
                logger.warning("worker-controls: %s", message.error())
                continue
            try:
                controls.append(WORKER_CONTROL.decode(message.value()))
            except DecodeError as exc:
                self._on_reject(message, exc)
        return controls

    def close(self) -> None:
        """Close the consumer (it is in no group; nothing to commit)."""
        self._consumer.close()
