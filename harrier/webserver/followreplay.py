"""Reading back what a reconnecting follower missed: its execution's records between the
position its ``Last-Event-ID`` names and where the follow feed is now.

One consumer per process, created at the first resume and used by one thread, so the
followers a restart sends back all at once queue here instead of each opening a consumer
(or holding a thread of the request pool). A read covers two partitions (the execution's
of ``execution-states`` and of ``logs``) over the gap the follower was away for: records
of every execution on them, of which only the follower's become events.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from confluent_kafka import Consumer, TopicPartition

from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import decode_key
from harrier.webserver.exceptions import Unavailable
from harrier.webserver.fanout import Event
from harrier.webserver.followfeed import log_events, snapshot_event
from harrier.webserver.payloads import envelope_payload

__all__ = ["FollowReplay", "Gap"]

# (topic, partition, first offset, last offset), both inclusive.
Gap = tuple[str, int, int, int]

_BATCH = 1000


class FollowReplay:
    """Reads gaps of the follow topics for one execution at a time."""

    def __init__(self, make_consumer: Callable[[], Consumer], states_topic: str, timeout_s: float = 10.0) -> None:
        self._make_consumer = make_consumer
        self._states_topic = states_topic
        self._timeout_s = timeout_s
        self._consumer: Consumer | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="harrier-follow-replay")

    async def events(self, execution_id: str, gaps: list[Gap]) -> list[Event]:
        """The execution's events in ``gaps``, each topic's in offset order; ``Unavailable``
        when the broker does not give them back in time (the follower reconnects later)."""
        gaps = [gap for gap in gaps if gap[2] <= gap[3]]
        if not gaps:
            return []
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._read, execution_id, gaps)

    def close(self) -> bool:
        """Stop; True if it had made its consumer (and closed it)."""
        self._thread.shutdown(wait=True)
        if self._consumer is None:
            return False
        self._consumer.close()
        return True

    def _read(self, execution_id: str, gaps: list[Gap]) -> list[Event]:
        if self._consumer is None:
            self._consumer = self._make_consumer()
        consumer = self._consumer
        consumer.assign([TopicPartition(topic, partition, first) for topic, partition, first, _ in gaps])
        last = {(topic, partition): end for topic, partition, _, end in gaps}
        events: list[Event] = []
        deadline = time.monotonic() + self._timeout_s
        try:
            while last:
                if time.monotonic() > deadline:
                    raise Unavailable(f"cannot read back what this follower missed of execution {execution_id} "
                                      f"(Kafka did not answer in {self._timeout_s:.0f} s); reconnect")
                for message in consumer.consume(_BATCH, 0.1):
                    where = (message.topic(), message.partition())
                    end = last.get(where)
                    if message.error() is not None or end is None or message.offset() > end:
                        continue
                    try:
                        if message.value() is not None and decode_key(message.key()) == execution_id:
                            events.extend(self._events(where[0], execution_id, message.value(), message.offset()))
                    except (DecodeError, ValueError, KeyError, TypeError):
                        pass  # a record the feed skipped too, saying so
                    if message.offset() >= end:
                        del last[where]
                # A gap may end on records a read-committed consumer never returns (aborted
                # ones, transaction markers): its position tells.
                for tp in consumer.position([TopicPartition(t, p) for t, p in last]):
                    if tp.offset > last[(tp.topic, tp.partition)]:
                        del last[(tp.topic, tp.partition)]
        finally:
            consumer.unassign()
        return events

    def _events(self, topic: str, execution_id: str, value: bytes, offset: int) -> list[Event]:
        if topic == self._states_topic:
            return [snapshot_event(execution_id, envelope_payload(value), offset)]
        return log_events(execution_id, value, offset)
