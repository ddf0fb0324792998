"""One scheduler instance: the loop that restores, evaluates and commits trigger partitions.

Ownership: the instance is a member of the ``<prefix>scheduler`` consumer group on ``flows``.
Owning partition p of ``flows`` means owning partition p of ``triggers`` (states are written
to the partition of their flow) and a transactional producer ``<prefix>scheduler-<p>``.
Creating that producer fences the previous owner of p and completes its open transaction,
and everything p produces (executions, trigger states, execution-states progress) commits in
one transaction of that producer. So a tick is fired by exactly one owner: a zombie owner's
transaction cannot commit, and the new owner restores after the old one's last commit.

An assignment restores its partitions of ``triggers`` inside the rebalance callback, then
reads each ``flows`` partition from the offset its progress record holds (the flow records
its states already reflect are not read again), or from the beginning when it has none.

The loop, in phases::

    poll flows (rebalances and restores happen here) -> start caught-up partitions
    -> read execution-states -> read Kafka triggers -> evaluate due triggers (http.Trigger
    requests go to a thread pool) -> take the answered requests -> commit
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from threading import Event

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec

from harrier.config.settings import Settings
from harrier.core.triggers import KafkaTrigger
from harrier.gcpause import paused_gc
from harrier.scheduler.clock import Clock, SystemClock
from harrier.scheduler.exceptions import TopicLayoutError, TriggerDefinitionError
from harrier.scheduler.httppolls import HttpResponse, send
from harrier.scheduler.kafkatriggers import KafkaTriggerSource
from harrier.scheduler.partition import PartitionStatus, TriggerPartition
from harrier.scheduler.records import CREATE_EXECUTION_SERDE
from harrier.scheduler.restore import restore_partitions
from harrier.scheduler.ticks import LatePolicy
from harrier.scheduler.upstream import ACTIONABLE, peek_state, read_execution
from harrier.topics.clients import create_admin, create_consumer, create_transactional_producer
from harrier.topics.exceptions import DecodeError, ProducerFenced, TopicsError
from harrier.topics.offsets import partition_offsets
from harrier.topics.records import FLOW_RECORD
from harrier.topics.serdes import decode_key
from harrier.topics.specs import FLOWS_DELETE_RETENTION_MS, topic_name
from harrier.topics.transactions import TransactionalProducer

__all__ = ["Scheduler"]

logger = logging.getLogger("harrier.scheduler")

# Write the execution-states progress at least this often when nothing else is written.
PROGRESS_INTERVAL_S = 1.0
# A restart reads a partition's flows from its checkpoint only when the checkpoint is younger
# than this: half the tombstone retention of ``flows``, so no deletion since was compacted away.
FLOWS_CHECKPOINT_MAX_AGE = timedelta(milliseconds=FLOWS_DELETE_RETENTION_MS) / 2
# How long a restore asks for the offsets of a partition that has no leader (yet).
OFFSETS_TIMEOUT_S = 30.0
# Longest a loop step waits for records when nothing is due sooner.
MAX_WAIT_S = 0.05
# Threads sending http.Trigger requests, beside the loop.
POLL_THREADS = 4


class Scheduler:
    """A scheduler instance; ``run(stop)`` until ``stop`` is set."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        instance_id: str = "scheduler",
        default_policy: LatePolicy = LatePolicy.ALL,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.instance_id = instance_id
        self.default_policy = default_policy
        tick = timedelta(milliseconds=settings.scheduler.tick_ms)
        self.tolerance = max(timedelta(seconds=2), 2 * tick)
        self.group = settings.topics.prefix + "scheduler"
        self.flows_topic = topic_name(settings, "flows")
        self.triggers_topic = topic_name(settings, "triggers")
        self.states_topic = topic_name(settings, "execution-states")
        self.executions_topic = topic_name(settings, "executions")
        self.partitions: dict[int, TriggerPartition] = {}
        self.producers: dict[int, TransactionalProducer] = {}
        self.sources: dict[str, KafkaTriggerSource] = {}
        # http.Trigger requests out on the pool: uid -> (partition, when sent, answer).
        self.polls: dict[str, tuple[int, datetime, Future[HttpResponse]]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._flows_caught_up: set[int] = set()
        self._last_progress = 0.0
        self._failed_sources: dict[str, int] = {}
        # Metrics: CreateExecution commands committed and flows records read, since start.
        self.executions_created = 0
        self.flow_records_read = 0
        client = f"{self.group}-{instance_id}"
        self.flows = create_consumer(settings, self.group, client, overrides={
            "enable.partition.eof": True,
            # A killed instance's partitions move after 6 s (the broker's minimum), not 45 s.
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
        })
        self.restorer = create_consumer(settings, None, client + "-restore")
        self.states_reader = create_consumer(settings, None, client + "-states")
        self.admin = create_admin(settings)

    # -- lifecycle -----------------------------------------------------------------------

    def run(self, stop: Event) -> None:
        """Join the group and loop until ``stop`` is set; leave the group cleanly after."""
        try:
            self._check_layout()
            self.flows.subscribe([self.flows_topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
            while not stop.is_set():
                self.step()
        finally:
            self.close()

    def close(self) -> None:
        """Leave the group (its partitions move to the other instances) and close clients."""
        for p in list(self.partitions):
            self._drop(p)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self.flows.close()
        self.restorer.close()
        self.states_reader.close()

    def step(self) -> None:
        """One pass of the loop."""
        self._poll_flows(self._wait_s())
        self._start_caught_up()
        now = self.clock.now()
        self._poll_execution_states(now)
        self._sync_sources()
        self._poll_sources(now)
        self._evaluate(now)
        self._collect_polls(now)
        self._commit()

    # -- rebalancing ---------------------------------------------------------------------

    def _on_assign(self, consumer: Consumer, assigned: list[TopicPartition]) -> None:
        # Restored here, before the flows partitions are assigned, because where each one is
        # read from is in its restored progress record; a seek right after a rebalance is not
        # one librdkafka promises to honour. Heartbeats go on while this blocks.
        partitions = sorted(tp.partition for tp in assigned)
        for p in partitions:
            self._add(p)
        self._restore(partitions)
        now = self.clock.now()
        for tp in assigned:
            tp.offset = self._flows_start(tp.partition, now)
        consumer.assign(assigned)
        logger.info("scheduler %s assigned partitions %s", self.instance_id, sorted(tp.partition for tp in assigned))

    def _on_revoke(self, consumer: Consumer, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            self._drop(tp.partition)
        consumer.unassign()
        logger.info("scheduler %s revoked partitions %s", self.instance_id, sorted(tp.partition for tp in revoked))

    def _add(self, p: int) -> None:
        self.partitions[p] = TriggerPartition(p, tolerance=self.tolerance, default_policy=self.default_policy)
        self._flows_caught_up.discard(p)

    def _drop(self, p: int) -> None:
        self.partitions.pop(p, None)
        self._flows_caught_up.discard(p)
        producer = self.producers.pop(p, None)
        if producer is not None:
            producer.raw.flush(5)
        for uid in [uid for uid, source in self.sources.items() if source.partition == p]:
            self.sources.pop(uid).close()
        for uid in [uid for uid, (q, _, _) in self.polls.items() if q == p]:
            self.polls.pop(uid)

    def _reset(self, p: int) -> None:
        """Rebuild partition ``p`` from Kafka after a failed transaction."""
        self._drop(p)
        self._add(p)
        self._restore([p])
        self.flows.seek(TopicPartition(self.flows_topic, p, self._flows_start(p, self.clock.now())))

    def _flows_start(self, p: int, now: datetime) -> int:
        offset = self.partitions[p].flows_resume_offset(now, FLOWS_CHECKPOINT_MAX_AGE)
        return OFFSET_BEGINNING if offset is None else offset

    # -- phases --------------------------------------------------------------------------

    def _wait_s(self) -> float:
        dues = [d for part in self.partitions.values() if (d := part.next_due()) is not None]
        if not dues:
            return MAX_WAIT_S
        return min(MAX_WAIT_S, max(0.0, min(dues) - self.clock.now().timestamp()))

    def _poll_flows(self, timeout_s: float) -> None:
        now = self.clock.now()
        for message in self.flows.consume(num_messages=10_000, timeout=timeout_s):
            p = message.partition()
            part = self.partitions.get(p)
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    self._flows_caught_up.add(p)
                else:
                    logger.warning("flows: %s", error.str())
                continue
            if part is None:
                continue
            self.flow_records_read += 1
            try:
                key = decode_key(message.key())
                value = message.value()
                if part.status is PartitionStatus.RESTORING:
                    # Decoded at start, and only if the revision is new to the trigger states.
                    part.stage_flow(key, value)
                else:
                    part.apply_flow(key, None if value is None else FLOW_RECORD.decode(value), now)
            except DecodeError as exc:
                logger.error("flows[%d]@%d skipped: %s", p, message.offset(), exc.reason)
            part.flows_read(message.offset())

    def _restore(self, partitions: list[int]) -> None:
        started = time.monotonic()
        restoring = {p: self.partitions[p] for p in partitions}
        # Each init fences the previous owner of p and completes its open transaction. The
        # inits wait on the broker (a new client's first one often 0.5 s), so they run side by
        # side, and beside the restore, which reads up to the ends they find.
        with ThreadPoolExecutor(max_workers=len(restoring)) as pool:
            ends = {p: pool.submit(self._fence, p) for p in restoring}
            with paused_gc():
                count = restore_partitions(self.restorer, self.triggers_topic, restoring, ends)
        states_ends = self._states_end_offsets()
        for part in restoring.values():
            part.init_progress(states_ends)
        logger.info("scheduler %s restored partitions %s (%d records) in %.0f ms",
                    self.instance_id, sorted(restoring), count, (time.monotonic() - started) * 1000)

    def _fence(self, p: int) -> int | None:
        """Create partition p's producer, whose init fences the previous owner; then the end
        offset of p on ``triggers`` (None: empty)."""
        self.producers[p] = create_transactional_producer(
            self.settings, f"{self.group}-{p}", client_id=f"{self.group}-{self.instance_id}-{p}")
        # The admin client, not the restorer: a consumer's watermark query waits out its
        # timeout while its metadata lacks a topic just created.
        low = partition_offsets(self.admin, self.triggers_topic, [p], OffsetSpec.earliest(), OFFSETS_TIMEOUT_S)[p]
        high = partition_offsets(self.admin, self.triggers_topic, [p], OffsetSpec.latest(), OFFSETS_TIMEOUT_S)[p]
        return high if high > low else None

    def _start_caught_up(self) -> None:
        now = self.clock.now()
        ready = [part for p, part in self.partitions.items()
                 if part.status is PartitionStatus.RESTORING and p in self._flows_caught_up and p in self.producers]
        if not ready:
            return
        # One pause for all of them: each start re-enabling the collector paid a collection.
        with paused_gc():
            for part in ready:
                part.start(now)
        self._position_states_reader()

    def _poll_execution_states(self, now: datetime) -> None:
        running = [part for part in self.partitions.values() if part.status is PartitionStatus.RUNNING]
        if not running:
            return
        for message in self.states_reader.consume(num_messages=2000, timeout=0):
            if message.error() is not None:
                continue
            q, offset, raw = message.partition(), message.offset(), message.value()
            key = (message.key() or b"").decode("utf-8", "replace")
            view = None
            # Only terminal and paused snapshots can release a lock or fire a flow trigger;
            # the others just move the partitions' progress.
            if raw is not None and peek_state(raw) in ACTIONABLE:
                try:
                    view = read_execution(raw)
                except (DecodeError, ValueError) as exc:
                    logger.error("execution-states[%d]@%d skipped: %s", q, offset, exc)
            for part in running:
                part.on_execution(q, offset, view, key, now)

    def _sync_sources(self) -> None:
        wanted = {
            uid: (p, trigger)
            for p, part in self.partitions.items() if part.status is PartitionStatus.RUNNING
            for uid, trigger in part.kafka_triggers.items()
        }
        for uid in [uid for uid, source in self.sources.items() if uid not in wanted or wanted[uid][1] is not source.trigger]:
            self.sources.pop(uid).close()
        for uid, (p, trigger) in wanted.items():
            if uid in self.sources or self._failed_sources.get(uid) == id(trigger):
                continue
            try:
                self.sources[uid] = KafkaTriggerSource(
                    uid, p, trigger, harrier_bootstrap=self.settings.kafka.bootstrap_servers)
            except (TriggerDefinitionError, KafkaException, ValueError) as exc:
                self._failed_sources[uid] = id(trigger)
                logger.error("trigger %s cannot consume: %s", uid, exc)

    def _poll_sources(self, now: datetime) -> None:
        for uid, source in self.sources.items():
            part = self.partitions[source.partition]
            if source.realtime:
                for variables in source.take(len(source.poll(500))):
                    part.fire_record(uid, variables, now)
            else:
                assert isinstance(source.trigger, KafkaTrigger)
                source.poll(source.trigger.max_records or 10_000)

    def _evaluate(self, now: datetime) -> None:
        at = now.timestamp()
        for part in self.partitions.values():
            if part.status is not PartitionStatus.RUNNING:
                continue
            due = part.next_due()
            if due is None or due > at:
                continue
            part.tick(now)
            for uid in part.due_batches:
                source = self.sources.get(uid)
                trigger = part.declarations.model(part.states[uid])
                assert isinstance(trigger, KafkaTrigger)
                records = source.take(trigger.max_records or 10_000) if source is not None else []
                part.fire_batch(uid, records, now)
            part.due_batches.clear()
            for uid in part.due_polls:
                self._start_poll(part, uid, now)
            part.due_polls.clear()

    def _start_poll(self, part: TriggerPartition, uid: str, now: datetime) -> None:
        if uid in self.polls:
            return  # the previous request is still out: this interval is skipped
        try:
            request = part.poll_request(uid)
        except TriggerDefinitionError as exc:
            logger.error("trigger %s not polled: %s", uid, exc)
            return
        self.polls[uid] = (part.partition, now, self._poll_pool().submit(send, request))

    def _poll_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=POLL_THREADS, thread_name_prefix="http-trigger")
        return self._pool

    def _collect_polls(self, now: datetime) -> None:
        for uid in [uid for uid, (_, _, future) in self.polls.items() if future.done()]:
            p, polled_at, future = self.polls.pop(uid)
            part = self.partitions.get(p)
            if part is None or part.status is not PartitionStatus.RUNNING:
                continue
            try:
                part.fire_poll(uid, future.result(), polled_at, now)
            except TriggerDefinitionError as exc:
                logger.error("trigger %s not fired: %s", uid, exc)

    def _commit(self) -> None:
        now = self.clock.now()
        periodic = time.monotonic() - self._last_progress >= PROGRESS_INTERVAL_S
        if periodic:
            self._last_progress = time.monotonic()
        for p, part in list(self.partitions.items()):
            if part.status is not PartitionStatus.RUNNING:
                continue
            executions, outputs = part.drain(with_progress=periodic, now=now)
            if not executions and not outputs:
                continue
            producer = self.producers[p]
            try:
                producer.begin()
                for created in executions:
                    producer.produce(self.executions_topic, CREATE_EXECUTION_SERDE.encode(created),
                                     key=created.execution_id.encode())
                for output in outputs:
                    producer.produce(self.triggers_topic, output.value, key=output.key.encode(), partition=p)
                for source in self.sources.values():
                    if source.partition == p and source.transactional and (offsets := source.take_offsets()):
                        producer.send_offsets(offsets, source.group_metadata())
                producer.commit()
                self.executions_created += len(executions)
            except ProducerFenced:
                logger.warning("scheduler %s was fenced on partition %d: another instance owns it", self.instance_id, p)
                self._drop(p)
                continue
            except (TopicsError, KafkaException) as exc:
                logger.error("partition %d: transaction failed (%s); restoring it from Kafka", p, exc)
                try:
                    producer.abort()
                except (TopicsError, KafkaException):
                    pass
                self._reset(p)
                continue
            for source in self.sources.values():
                if source.partition == p and not source.transactional:
                    source.commit()

    # -- helpers -------------------------------------------------------------------------

    def _check_layout(self) -> None:
        metadata = self.restorer.list_topics(timeout=30)
        counts = {}
        for name in (self.flows_topic, self.triggers_topic, self.states_topic, self.executions_topic):
            topic = metadata.topics.get(name)
            if topic is None or topic.error is not None:
                raise TopicLayoutError(f"topic {name} does not exist; create the topics first (harrier topics)")
            counts[name] = len(topic.partitions)
        if counts[self.flows_topic] != counts[self.triggers_topic]:
            raise TopicLayoutError(
                f"{self.flows_topic} has {counts[self.flows_topic]} partitions and {self.triggers_topic} "
                f"{counts[self.triggers_topic]}: trigger states follow their flow's partition, so they must be equal")

    def _states_end_offsets(self) -> dict[int, int]:
        metadata = self.states_reader.list_topics(self.states_topic, timeout=30)
        ends = {}
        for q in metadata.topics[self.states_topic].partitions:
            _, high = self.states_reader.get_watermark_offsets(TopicPartition(self.states_topic, q), timeout=30, cached=False)
            ends[q] = high
        return ends

    def _position_states_reader(self) -> None:
        running = [part for part in self.partitions.values() if part.status is PartitionStatus.RUNNING]
        starts: dict[int, int] = {}
        for part in running:
            for q, offset in part.progress.items():
                starts[q] = min(offset, starts.get(q, offset))
        self.states_reader.assign([TopicPartition(self.states_topic, q, o) for q, o in sorted(starts.items())])
