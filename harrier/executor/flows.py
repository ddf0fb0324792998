"""The executor's global flow table: every flow of the compacted `flows` topic, in memory.

Every stream process reads the whole `flows` topic (all partitions, no consumer group, from
the beginning) into a `FlowTable`, then keeps it current from a background thread. Records
are `FlowRecord` envelopes (type `flow`) keyed `namespace/id`; a tombstone deletes the flow.

Executions pin a revision, and a compacted topic keeps only the latest one per flow, so the
table keeps the last `KEEP_REVISIONS` revisions it has seen of each flow; an execution of a
revision it never saw runs the closest newer one it knows (logged), rather than failing.
A flow whose source does not parse or validate (put on the topic by something other than a
deploy, or written before validation grew stricter) is logged and skipped; its problems are
kept so a create for it says why it cannot run instead of "not found".
"""

from __future__ import annotations

import logging
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from harrier.core.exceptions import FlowValidationError
from harrier.core.flows import Flow
from harrier.core.validation import parse_flow
from harrier.topics.exceptions import DecodeError
from harrier.topics.records import FLOW_RECORD
from harrier.topics.serdes import decode_key

__all__ = ["KEEP_REVISIONS", "FlowFeed", "FlowTable"]

logger = logging.getLogger("harrier.executor.flows")

KEEP_REVISIONS = 16




class FlowTable:
    """Parsed flows by `namespace/id` and revision; safe to read while a feed writes."""

    def __init__(self) -> None:
        self._flows: dict[str, dict[int, Flow]] = {}
        # `namespace/id` -> the problems of its last record, when that one was refused.
        self._refused: dict[str, str] = {}
        self._changed = threading.Condition()

    def apply(self, key: str, value: bytes | None) -> None:
        """Apply one `flows` record: a new revision, or a tombstone deleting the flow."""
        if value is None:
            with self._changed:
                self._flows.pop(key, None)
                self._refused.pop(key, None)
                self._changed.notify_all()
            return
        try:
            record = FLOW_RECORD.decode(value)
            flow = parse_flow(record.source, file=f"flows[{key}]")
        except (DecodeError, FlowValidationError) as exc:
            logger.error("flow %s skipped: %s", key, exc)
            self._refused[key] = "; ".join(str(exc).splitlines())
            return
        if flow.revision is None or flow.revision != record.revision:
            # The record's revision is authoritative; the source may omit it.
            flow = flow.model_copy(update={"revision": record.revision})
            flow._source = record.source
        with self._changed:
            revisions = dict(self._flows.get(record.uid, {}))
            revisions[record.revision] = flow
            for old in sorted(revisions)[:-KEEP_REVISIONS]:
                del revisions[old]
            self._flows[record.uid] = revisions
            self._refused.pop(record.uid, None)
            self._changed.notify_all()

    def get(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        """The flow (its latest revision when `revision` is None), or None if unknown."""
        revisions = self._flows.get(f"{namespace}/{flow_id}")
        if not revisions:
            return None
        if revision is None:
            return revisions[max(revisions)]
        found = revisions.get(revision)
        if found is None:
            newer = [r for r in revisions if r > revision]
            if not newer:
                return None
            logger.warning("flow %s/%s revision %d is gone; using revision %d", namespace, flow_id, revision, min(newer))
            found = revisions[min(newer)]
        return found

    def refusal(self, namespace: str, flow_id: str) -> str | None:
        """Why the last record of a flow was skipped (its problems), or None."""
        return self._refused.get(f"{namespace}/{flow_id}")

    def wait_for(self, namespace: str, flow_id: str, revision: int | None, timeout: float) -> Flow | None:
        """`get`, waiting up to `timeout` seconds for the flow to arrive (a fresh deploy)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (flow := self.get(namespace, flow_id, revision)) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
        return flow

    def __len__(self) -> int:
        return len(self._flows)


class FlowFeed:
    """Reads the `flows` topic into a table: once to the end at start, then in the background."""

    def __init__(self, consumer: Consumer, topic: str, table: FlowTable, poll_s: float = 0.1) -> None:
        self._consumer = consumer
        self._topic = topic
        self.table = table
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Assign every partition from the beginning, read up to the current end, then follow."""
        metadata = self._consumer.list_topics(self._topic, timeout=timeout)
        topic = metadata.topics.get(self._topic)
        if topic is None or topic.error is not None:
            raise KafkaException(f"topic {self._topic} is not available: {getattr(topic, 'error', 'missing')}")
        partitions = [TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in topic.partitions]
        ends = {}
        for tp in partitions:
            _, high = self._consumer.get_watermark_offsets(tp, timeout=timeout)
            ends[tp.partition] = high
        self._consumer.assign(partitions)
        deadline = time.monotonic() + timeout
        while not self._caught_up(ends):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {self._topic} to its end took more than {timeout} s")
            self._poll()
        self._thread = threading.Thread(target=self._follow, name="harrier-flow-feed", daemon=True)
        self._thread.start()

    def _caught_up(self, ends: dict[int, int]) -> bool:
        # The position skips compacted gaps and transaction markers, unlike message offsets.
        wanted = [TopicPartition(self._topic, p) for p, end in ends.items() if end > 0]
        if not wanted:
            return True
        positions = self._consumer.position(wanted)
        return all(tp.offset >= ends[tp.partition] for tp in positions)

    def _poll(self) -> None:
        for message in self._consumer.consume(500, self._poll_s):
            if message.error() is not None:
                logger.warning("flows topic: %s", message.error())
                continue
            try:
                key = decode_key(message.key())
            except DecodeError as exc:
                logger.error("flows record at offset %d skipped: %s", message.offset(), exc)
            else:
                self.table.apply(key, message.value())

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll()
            except Exception:  # noqa: BLE001 - keep following; a broken poll is logged
                logger.exception("flow feed poll failed")
                time.sleep(1.0)

    def close(self) -> None:
        """Stop following and close the consumer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self._consumer.close()

