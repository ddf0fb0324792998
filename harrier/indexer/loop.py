"""The indexer's loop: consume -> build actions -> ship when the batch is ready -> commit.

A batch is ready when it reaches its count, bytes or age limit, or as soon as the consumer
has caught up while no request is in flight: at low load a line is searchable one round trip
after it arrives, and under load batches grow to what Elasticsearch takes per round trip.

Delivery: a batch's offsets are committed only after every action in it was acknowledged by
Elasticsearch or dead-lettered (and the dead letters flushed to Kafka). A crash anywhere
before that replays the batch, and deterministic ids make the replay overwrite.

Outage: when Elasticsearch fails a request the loop keeps the batch, pauses its partitions
(so it stays in the consumer group without reading further) and retries with exponential
back-off, reporting the lag. When only some items fail, only those are sent again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from harrier.indexer.backoff import Backoff
from harrier.indexer.batches import Batch, BatchLimits
from harrier.indexer.bulk import BulkOutcome, BulkShipper
from harrier.indexer.documents import DocumentBuilder
from harrier.indexer.exceptions import DocumentError, ElasticsearchUnavailable
from harrier.indexer.status import IndexerStatus, measure_lag
from harrier.topics.deadletters import send_to_dead_letters

__all__ = ["IndexerLoop"]

logger = logging.getLogger("harrier.indexer")

_CONSUME_MAX = 10_000
_WAIT_SLICE_S = 0.1
# How often a caught-up loop looks whether the request in flight is done.
_INFLIGHT_CHECK_S = 0.005


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A batch whose first bulk request (of the actions at ``pending``) is on its way."""

    batch: Batch
    pending: list[int]
    future: Future[BulkOutcome]


def commit_counter(status: IndexerStatus) -> Callable[[KafkaError | None, list[TopicPartition]], None]:
    """The consumer's ``on_commit`` callback: counts acknowledged commits in ``status``."""

    def on_commit(error: KafkaError | None, partitions: list[TopicPartition]) -> None:
        failed = error or next((tp.error for tp in partitions if tp.error is not None), None)
        if failed is None:
            status.commits += 1
        else:
            logger.warning("commit failed, the batch will be replayed: %s", failed)

    return on_commit


class IndexerLoop:
    """One consumer's loop; ``run`` until ``stop`` is set."""

    def __init__(
        self,
        consumer: Consumer,
        builder: DocumentBuilder,
        shipper: BulkShipper,
        dead_letters: Producer,
        dead_letter_topic: str,
        limits: BatchLimits,
        *,
        status: IndexerStatus | None = None,
        backoff: Backoff | None = None,
        lag_interval_s: float = 10.0,
        housekeeping: Callable[[], None] | None = None,
        housekeeping_interval_s: float = 3600.0,
    ) -> None:
        self._consumer = consumer
        self._builder = builder
        self._shipper = shipper
        self._dead_letters = dead_letters
        self._dead_letter_topic = dead_letter_topic
        self._batch = Batch(limits)
        self.status = status or IndexerStatus()
        self._backoff = backoff or Backoff()
        self._lag_interval_s = lag_interval_s
        self._next_lag = 0.0
        self._housekeeping = housekeeping
        self._housekeeping_interval_s = housekeeping_interval_s
        self._next_housekeeping = 0.0
        self._paused: list[TopicPartition] = []
        self._stash: list[Message] = []
        self._revoked = False
        self._caught_up = False
        self._assigned: set[tuple[str, int]] = set()
        self._inflight: _InFlight | None = None
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="harrier-indexer-bulk")

    # -- rebalance callbacks (run inside consume/poll) --------------------------------------

    def on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Count the new partitions (for readiness); the client assigns them after this returns."""
        self._assigned |= {(tp.topic, tp.partition) for tp in partitions}
        self.status.partitions = len(self._assigned)

    def on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Drop the uncommitted batch: the partitions' next owner reads it again from the commit."""
        self._assigned -= {(tp.topic, tp.partition) for tp in partitions}
        self.status.partitions = len(self._assigned)
        dropped = len(self._batch) + (len(self._inflight.batch) if self._inflight else 0)
        logger.info(
            "partitions revoked: %s; dropping %d uncommitted records",
            sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions), dropped,
        )
        # A request still in flight may land; its documents are overwritten on replay.
        self._inflight = None
        self._batch.clear()
        self._stash.clear()
        self._paused = []
        self._revoked = True

    # -- the loop ------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Consume and ship until ``stop`` is set, then ship what is left if Elasticsearch takes it.

        One batch is in flight while the next one fills: the bulk request of batch N overlaps
        the consuming and encoding of batch N+1, and N is finished (retried, committed)
        before N+1 is sent, so commits stay in order.
        """
        while not stop.is_set():
            self._poll()
            if self._inflight is not None and self._inflight.future.done():
                self._finish(stop)
            idle = self._caught_up and self._inflight is None and len(self._batch) > 0
            if idle or self._batch.ready(time.monotonic()):
                self._finish(stop)
                self._ship()
            self._punctuate()
        self._finish(stop)
        if self._batch:
            self._ship()
            self._finish(stop)

    def close(self) -> None:
        """Leave the consumer group and deliver any queued dead letters."""
        self._sender.shutdown(wait=True)
        self._dead_letters.flush(10.0)
        self._consumer.close()

    def _poll(self) -> None:
        records, self._stash = self._stash, []
        if records:
            self._caught_up = False
        else:
            want = min(max(self._batch.limits.max_records - len(self._batch), 1), _CONSUME_MAX)
            # poll returns as soon as one record is there (consume would wait out its timeout);
            # consume with no timeout then takes what else the client has buffered.
            first = self._consumer.poll(self._poll_timeout())
            if first is not None:
                records = [first]
                if want > 1:
                    records += self._consumer.consume(want - 1, 0)
            self._caught_up = len(records) < want
        for record in records:
            self._add(record)

    def _poll_timeout(self) -> float:
        if not self._batch:
            return _WAIT_SLICE_S
        if self._inflight is not None and self._caught_up:
            return _INFLIGHT_CHECK_S
        deadline = self._batch.started + self._batch.limits.max_age_s
        return min(max(deadline - time.monotonic(), 0.0), _WAIT_SLICE_S)

    def _add(self, record: Message) -> None:
        error = record.error()
        if error is not None:
            logger.warning("consumer error: %s", error)
            return
        _, timestamp_ms = record.timestamp()
        try:
            action = self._builder.build(
                record.topic(), record.partition(), record.offset(),  # type: ignore[arg-type]
                record.key(), record.value(), timestamp_ms,
            )
        except DocumentError as exc:
            self._dead_letter(record, exc.reason)
            action = None
        self._batch.add(record, action)

    def _ship(self) -> None:
        """Send the batch's first bulk request in the background and start the next batch."""
        batch, self._batch = self._batch, Batch(self._batch.limits)
        pending = batch.pending()
        actions = [batch.actions[i] for i in pending]
        self._inflight = _InFlight(batch, pending, self._sender.submit(self._shipper.ship, actions))

    def _finish(self, stop: threading.Event) -> None:
        """Wait for the batch in flight and retry it until every action is acknowledged or
        dead-lettered, then commit its offsets."""
        flight, self._inflight = self._inflight, None
        if flight is None:
            return
        self._revoked = False
        batch, pending, answer = flight.batch, flight.pending, flight.future
        while pending:
            try:
                outcome = answer.result() if answer is not None else self._shipper.ship(
                    [batch.actions[i] for i in pending]  # type: ignore[misc]
                )
            except ElasticsearchUnavailable as exc:
                self.status.mark_down(str(exc))
            else:
                self.status.mark_up()
                for position, reason in outcome.refused:
                    index = pending[position]
                    self._dead_letter(batch.records[index], reason)
                    batch.actions[index] = None
                retried = [pending[position] for position in outcome.retry]
                self.status.indexed += len(pending) - len(retried) - len(outcome.refused)
                pending = retried
                if not pending:
                    break
                self.status.last_error = f"{len(pending)} documents rejected for now, retrying them"
                logger.warning(self.status.last_error)
            answer = None
            if stop.is_set() or not self._hold():
                self._resume()
                return
        self._resume()
        self._backoff.reset()
        self._commit(batch)

    def _hold(self) -> bool:
        """Wait one back-off delay with the partitions paused; False if they were revoked meanwhile."""
        if not self._paused:
            self._paused = self._consumer.assignment()
            self._consumer.pause(self._paused)
        deadline = time.monotonic() + self._backoff.next_delay()
        while time.monotonic() < deadline:
            # Polling keeps the group membership alive; paused partitions return nothing.
            record = self._consumer.poll(_WAIT_SLICE_S)
            if self._revoked:
                if record is not None:
                    self._stash.append(record)
                return False
            if record is not None:
                self._stash.append(record)
            self._report_lag()
        return True

    def _resume(self) -> None:
        if self._paused:
            try:
                self._consumer.resume(self._paused)
            except KafkaException as exc:
                logger.debug("resume after hold: %s", exc)
            self._paused = []

    def _commit(self, batch: Batch) -> None:
        # Dead letters first: a committed offset must never skip a record that is nowhere.
        while self._dead_letters.flush(5.0) > 0:
            logger.warning("dead letters not yet delivered; retrying before the commit")
        offsets = batch.offsets()
        # Asynchronous: a synchronous commit sent while the broker restarts can wait forever
        # (seen in the broker-restart chaos run: the indexer stopped for good). The outcome
        # arrives in ``commit_counter``; a failed commit means a replay, which the
        # deterministic document ids make harmless.
        try:
            self._consumer.commit(offsets=offsets, asynchronous=True)
        except KafkaException as exc:
            logger.warning("commit failed, the batch will be replayed: %s", exc)

    def _dead_letter(self, record: Message, reason: str) -> None:
        logger.warning(
            "dead-lettering %s[%s]@%s: %s", record.topic(), record.partition(), record.offset(), reason
        )
        send_to_dead_letters(self._dead_letters, record, reason, topic=self._dead_letter_topic)
        self.status.dead_lettered += 1

    def _punctuate(self) -> None:
        self._report_lag()
        now = time.monotonic()
        if self._housekeeping is not None and now >= self._next_housekeeping:
            self._next_housekeeping = now + self._housekeeping_interval_s
            try:
                self._housekeeping()
            except Exception as exc:  # noqa: BLE001 - housekeeping must never stop indexing
                logger.warning("housekeeping failed, retrying in %.0f s: %s", self._housekeeping_interval_s, exc)

    def _report_lag(self) -> None:
        now = time.monotonic()
        if now < self._next_lag:
            return
        self._next_lag = now + self._lag_interval_s
        self.status.lag = measure_lag(self._consumer)
        if not self.status.elasticsearch_up:
            logger.warning(
                "elasticsearch unavailable for %.0f s, lag %d records: %s",
                now - (self.status.down_since or now), self.status.total_lag, self.status.last_error,
            )
