"""A table kept from a compacted topic: every record, in order, applied by one background reader.

`TopicTable` assigns every partition of the topic from the beginning (no consumer group,
nothing committed), reads to the end at `start`, then follows in a thread, handing each
record's key and value (None for a tombstone) to the caller's `apply`. What the table holds
is the caller's business: this module only reads.

`sync` is a read barrier: it asks the broker for each partition's high watermark and waits
until the reader has passed it, so a read made after `sync` sees every record acknowledged
before `sync` began, written by any process. It asks through a second consumer (`probe`):
a consumer's calls wait for one another, so the reader's blocking `consume` would hold the
question up. That is what gives read-your-writes across
processes (a write in one worker, a read in another) without any other coordination.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from harrier.topics.exceptions import TopicsError

__all__ = ["TopicTable"]

logger = logging.getLogger("harrier.topics.tables")

Apply = Callable[[bytes | None, bytes | None], None]

_BATCH = 500
_POLL_S = 0.05


class TopicTable:
    """Reads a compacted topic into `apply`; `sync` waits for everything written so far."""

    def __init__(self, consumer: Consumer, probe: Consumer, topic: str, apply: Apply) -> None:
        self._consumer = consumer
        self._probe = probe
        self._probe_lock = threading.Lock()
        self._topic = topic
        self._apply = apply
        self._partitions: list[int] = []
        # Next offset to read per partition, as the consumer's position reports it (this
        # skips compaction gaps and transaction markers, which message offsets do not).
        self._positions: dict[int, int] = {}
        self._moved = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        """Assign every partition from the beginning, read to the current end, then follow."""
        try:
            metadata = self._consumer.list_topics(self._topic, timeout=timeout_s)
        except KafkaException as exc:
            raise TopicsError(f"cannot read the metadata of {self._topic}: {exc.args[0]}") from exc
        described = metadata.topics.get(self._topic)
        if described is None or described.error is not None or not described.partitions:
            raise TopicsError(f"topic {self._topic} does not exist: create the topics first (harrier infra up)")
        self._partitions = sorted(described.partitions)
        self._positions = dict.fromkeys(self._partitions, 0)
        self._consumer.assign([TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in self._partitions])
        self._thread = threading.Thread(target=self._follow, name=f"harrier-table-{self._topic}", daemon=True)
        self._thread.start()
        self.sync(timeout_s)

    def sync(self, timeout_s: float = 10.0) -> None:
        """Wait until every record acknowledged before this call has been applied.

        TimeoutError when the reader does not get there in time (the broker is away).
        """
        deadline = time.monotonic() + timeout_s
        ends = {p: self._high_watermark(p, deadline) for p in self._partitions}
        with self._moved:
            while any(self._positions[p] < end for p, end in ends.items()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"reading {self._topic} up to its end took more than {timeout_s:g} s")
                self._moved.wait(left)

    def close(self) -> None:
        """Stop following and close the consumer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self._consumer.close()
        self._probe.close()

    def _high_watermark(self, partition: int, deadline: float) -> int:
        while True:
            try:
                timeout = max(0.1, deadline - time.monotonic())
                with self._probe_lock:
                    ends = self._probe.get_watermark_offsets(TopicPartition(self._topic, partition), timeout=timeout, cached=False)
                return int(ends[1])
            except KafkaException as exc:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"cannot read the end of {self._topic} [{partition}]: {exc.args[0]}") from exc
                time.sleep(0.05)

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                self._read()
            except Exception:  # noqa: BLE001 - keep following; a broken poll is logged
                logger.exception("reading %s failed", self._topic)
                time.sleep(1.0)

    def _read(self) -> None:
        for message in self._consumer.consume(_BATCH, _POLL_S):
            if message.error() is not None:
                logger.warning("%s: %s", self._topic, message.error())
                continue
            try:
                self._apply(message.key(), message.value())
            except Exception:  # noqa: BLE001 - one bad record must not stop the table
                logger.exception("%s record at %d/%d skipped", self._topic, message.partition(), message.offset())
        positions = self._consumer.position([TopicPartition(self._topic, p) for p in self._partitions])
        with self._moved:
            for tp in positions:
                if tp.offset >= 0:
                    self._positions[tp.partition] = tp.offset
            self._moved.notify_all()
