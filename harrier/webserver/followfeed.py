"""The follow feed: the ONE consumer of ``execution-states`` and ``logs`` in a webserver process.

It reads every partition of both topics from the moment it starts, remembers the latest
snapshot of each execution (``SnapshotCache``), and hands the events of followed executions
to the ``FanOut`` on the event loop, one hand-over per poll batch. Records of executions
nobody follows cost a key decode and, for snapshots, a slice. A log record is a batch of
lines; followers get one ``log`` event per line, carrying the record's Kafka ``offset`` and
the line's index in the batch (``line``): the identity the logs API gives the same line, so
a client can merge what it streamed with what it reads back.

The feed also says how far it has read each partition (``cursor``): a stream that starts
now has everything after that position coming to it, and a reconnecting one reads back
(``FollowReplay``) what lies between its ``Last-Event-ID`` and there.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import orjson
from confluent_kafka import Consumer

from harrier.core.logbatches import split_batch
from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import decode_key, encode_key
from harrier.webserver.assignment import assign_all
from harrier.webserver.fanout import Event, FanOut, execution_event
from harrier.webserver.followcursor import Cursor, partition_of
from harrier.webserver.payloads import envelope_payload, snapshot_state
from harrier.webserver.snapshots import SnapshotCache

__all__ = ["FollowFeed", "log_events", "snapshot_event"]

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
        # The offset of the last record read, by (topic, partition): written by the feed's
        # thread only after it is in the snapshot cache and before ``wants`` is asked, so a
        # stream that subscribed and then read it either got the record or is past it.
        self._read: dict[tuple[str, int], int] = {}
        self._partitions: dict[str, int] = {}
        self.records = 0
        self.undecodable = 0

    def start(self) -> None:
        """Assign both topics from their current end and start the thread."""
        try:
            starts = assign_all(self._consumer, [self._states_topic, self._logs_topic], from_end=True)
        except BaseException:
            self._consumer.close()
            raise
        self._read = {where: offset - 1 for where, offset in starts.items()}
        for topic, _ in starts:
            self._partitions[topic] = self._partitions.get(topic, 0) + 1
        self._thread = threading.Thread(target=self._run, name="harrier-follow-feed", daemon=True)
        self._thread.start()

    def partitions(self, execution_id: str) -> tuple[int, int]:
        """The execution's partition of ``execution-states`` and of ``logs``."""
        key = encode_key(execution_id)
        return (partition_of(key, self._partitions[self._states_topic]),
                partition_of(key, self._partitions[self._logs_topic]))

    def cursor(self, execution_id: str) -> Cursor:
        """How far the feed has read the execution's partitions: a follower subscribed before
        this call gets every record after it."""
        states, logs = self.partitions(execution_id)
        return Cursor(self._read[(self._states_topic, states)], self._read[(self._logs_topic, logs)] + 1)

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
                    events.extend(self._events(message.topic(), message.partition(), message.key(),
                                               message.value(), message.offset()))
                except (DecodeError, ValueError, KeyError, TypeError) as exc:
                    self.undecodable += 1
                    self._read[(message.topic(), message.partition())] = message.offset()
                    logger.warning("follow feed: skipping undecodable record: %s", exc)
            if events and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._fanout.deliver, events)

    def _events(self, topic: str, partition: int, key: bytes | None, value: bytes | None, offset: int) -> list[Event]:
        if value is None:
            # A tombstone only means the executor forgot a finished execution.
            self._read[(topic, partition)] = offset
            return []
        execution_id = decode_key(key)
        if topic == self._states_topic:
            data = envelope_payload(value)
            self._snapshots.put(execution_id, data, offset)
            self._read[(topic, partition)] = offset
            if not self._fanout.wants(execution_id):
                return []
            return [snapshot_event(execution_id, data, offset)]
        self._read[(topic, partition)] = offset
        if not self._fanout.wants(execution_id):
            return []
        return log_events(execution_id, value, offset)


def snapshot_event(execution_id: str, data: bytes, offset: int) -> Event:
    """The event of a snapshot record (its payload ``data``)."""
    _, state = snapshot_state(data)
    return execution_event(execution_id, data, state, offset)


def log_events(execution_id: str, value: bytes, offset: int) -> list[Event]:
    """A log record is a batch; followers get its lines one event each."""
    lines = split_batch(orjson.loads(envelope_payload(value)))
    return [
        Event("log", execution_id, orjson.dumps({**line, "offset": offset, "line": index}), offset=offset, line=index)
        for index, line in enumerate(lines)
    ]
