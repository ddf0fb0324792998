"""The flow table's feed: one consumer reading every partition of ``flows`` from the start."""

from __future__ import annotations

import logging
import threading

from confluent_kafka import Consumer

from harrier.topics.exceptions import DecodeError
from harrier.topics.records import FLOW_RECORD
from harrier.topics.serdes import decode_key
from harrier.webserver.assignment import CatchUp, assign_all
from harrier.webserver.flowtable import FlowTable

__all__ = ["FlowFeed"]

logger = logging.getLogger("harrier.webserver")

_BATCH = 500
_POLL_S = 0.05


class FlowFeed:
    """Applies the ``flows`` topic to a FlowTable in a background thread."""

    def __init__(self, consumer: Consumer, topic: str, table: FlowTable) -> None:
        self._consumer = consumer
        self._topic = topic
        self._table = table
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._catch_up = CatchUp({})
        self.ready = threading.Event()
        self.records = 0
        self.undecodable = 0

    def start(self) -> None:
        """Assign the topic and start reading; ``ready`` is set once the table is caught up."""
        try:
            self._catch_up = CatchUp(assign_all(self._consumer, [self._topic], from_end=False))
        except BaseException:
            self._consumer.close()
            raise
        self._thread = threading.Thread(target=self._run, name="harrier-flow-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and close the consumer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            for message in self._consumer.consume(_BATCH, _POLL_S):
                if message.error() is not None:
                    logger.warning("flows feed: %s", message.error())
                    continue
                self._apply(message.key(), message.value(), (message.partition(), message.offset()))
                self._catch_up.consumed(message.topic(), message.partition(), message.offset())
            if not self.ready.is_set():
                self._catch_up.check_positions(self._consumer)
                if self._catch_up.done:
                    logger.info("flow table caught up: %d flows", len(self._table))
                    self.ready.set()

    def _apply(self, key: bytes | None, value: bytes | None, at: tuple[int, int]) -> None:
        self.records += 1
        try:
            uid = decode_key(key)
            self._table.apply(uid, None if value is None else FLOW_RECORD.decode(value), at)
        except DecodeError as exc:
            # Another writer's bad record must not stop the table; the indexer dead-letters it.
            self.undecodable += 1
            logger.warning("flows feed: skipping undecodable record: %s", exc)
