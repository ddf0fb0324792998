"""The follow feed: the ONE consumer of ``execution-states`` and ``logs`` in a webserver process.

It reads every partition of both topics from the moment it starts, remembers the latest
snapshot of each execution (``SnapshotCache``), and hands the events of followed executions
to the ``FanOut`` on the event loop, one hand-over per poll batch. Records of executions
nobody follows cost a key decode and, for snapshots, a slice. A log record is a batch of
lines; followers get one ``log`` event per line, carrying the record's Kafka ``offset`` and
the line's index in the batch (``line``): the identity the logs API gives the same line, so
a client can merge what it streamed with what it reads back.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import orjson
from confluent_kafka import Consumer

from harrier.core.logbatches import split_batch
from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import decode_key
from harrier.webserver.assignment import assign_all
from harrier.webserver.fanout import Event, FanOut, execution_event
from harrier.webserver.payloads import envelope_payload, snapshot_state
from harrier.webserver.snapshots import SnapshotCache

__all__ = ["FollowFeed"]

logger = logging.getLogger("harrier.webserver")

_BATCH = 1000
_POLL_S = 0.02


class FollowFeed:
    """Reads execution snapshots and log lines in a thread and feeds the fan-out."""

    def __init__(
        self,
        consumer: Consumer,
        states_topic: str,
        logs_topic: str,
        fanout: FanOut,
        snapshots: SnapshotCache,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._consumer = consumer
        self._states_topic = states_topic
        self._logs_topic = logs_topic
        self._fanout = fanout
        self._snapshots = snapshots
        self._loop = loop
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.records = 0
        self.undecodable = 0

    def start(self) -> None:
        """Assign both topics from their current end and start the thread."""
        try:
            assign_all(self._consumer, [self._states_topic, self._logs_topic], from_end=True)
        except BaseException:
            self._consumer.close()
            raise
        self._thread = threading.Thread(target=self._run, name="harrier-follow-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the consumer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            messages = self._consumer.consume(_BATCH, _POLL_S)
            if not messages:
                continue
            events: list[Event] = []
            for message in messages:
                if message.error() is not None:
                    logger.warning("follow feed: %s", message.error())
                    continue
                self.records += 1
                try:
                    events.extend(self._events(message.topic(), message.key(), message.value(), message.offset()))
                except (DecodeError, ValueError, KeyError, TypeError) as exc:
                    self.undecodable += 1
                    logger.warning("follow feed: skipping undecodable record: %s", exc)
            if events and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._fanout.deliver, events)

    def _events(self, topic: str | None, key: bytes | None, value: bytes | None, offset: int | None) -> list[Event]:
        if value is None:
            # A tombstone only means the executor forgot a finished execution.
            return []
        execution_id = decode_key(key)
        if topic == self._states_topic:
            data = envelope_payload(value)
            self._snapshots.put(execution_id, data)
            if not self._fanout.wants(execution_id):
                return []
            _, state = snapshot_state(data)
            return [execution_event(execution_id, data, state)]
        if not self._fanout.wants(execution_id):
            return []
        # A log record is a batch; followers get its lines one event each.
        lines = split_batch(orjson.loads(envelope_payload(value)))
        return [
            Event("log", execution_id, orjson.dumps({**line, "offset": offset, "line": index}))
            for index, line in enumerate(lines)
        ]
