"""The triggers of one partition: states, the due heap, locks, flow-trigger matchers.

A ``TriggerPartition`` is pure (no Kafka): the runtime feeds it the partition's records and
the time, and drains the records it wants written (``drain``), all of which the runtime
commits in one transaction of the partition's own producer. Lifecycle::

    RESTORING --start()--> RUNNING

While RESTORING it only takes ``restore`` (records of its ``triggers`` partition) and
``stage_flow`` (records of its ``flows`` partition, from ``flows_resume_offset`` on);
``start`` reconciles both in one pass, parsing only flows whose revision the trigger states
do not already know, then heapifies. ``flows_read`` records how far ``flows`` was read; the
progress record carries that checkpoint, so a restart reads only the flow records after it.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from harrier.core.conditions import ConditionError, WindowStep, advance, deep_merge
from harrier.core.messages import CreateExecution, FlowRecord
from harrier.core.triggers import (
    FlowTrigger,
    HttpTrigger,
    KafkaRealtimeTrigger,
    KafkaTrigger,
    Schedule,
    ScheduleOnDates,
    Trigger,
)
from harrier.gcpause import paused_gc
from harrier.scheduler.declarations import Declarations, declare_triggers
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.firing import flow_trigger_execution, triggered_execution
from harrier.scheduler.flowtriggers import FlowTriggerIndex
from harrier.scheduler.heap import DueHeap
from harrier.scheduler.httppolls import HttpRequest, HttpResponse, request_of, response_holds
from harrier.scheduler.ondates import evaluate_on_dates
from harrier.scheduler.schedules import evaluate_schedule
from harrier.scheduler.state import (
    FLOW_TRIGGERS_SERDE,
    PROGRESS_SERDE,
    TRIGGER_STATE_SERDE,
    FlowTriggers,
    Progress,
    TriggerState,
    envelope_prefix,
    progress_key,
)
from harrier.scheduler.statestore import StateStore, StateSummary, summarize
from harrier.scheduler.ticks import LatePolicy
from harrier.scheduler.upstream import ExecutionView
from harrier.topics.exceptions import DecodeError
from harrier.topics.records import FLOW_RECORD

__all__ = ["Output", "PartitionStatus", "TriggerPartition"]

logger = logging.getLogger("harrier.scheduler")

_STATE_PREFIX = envelope_prefix(TRIGGER_STATE_SERDE.kind)
_FLOWS_PREFIX = envelope_prefix(FLOW_TRIGGERS_SERDE.kind)
_PROGRESS_PREFIX = envelope_prefix(PROGRESS_SERDE.kind)

_REVISION = re.compile(rb'"revision":(\d+)')
# An idle partition rewrites its progress record this often, keeping its flows checkpoint young.
PROGRESS_REFRESH = timedelta(hours=1)
# The types ``_index`` records besides locks.
_INDEXED_TYPES = frozenset({FlowTrigger.type_name, KafkaRealtimeTrigger.type_name, KafkaTrigger.type_name})



class PartitionStatus(enum.Enum):
    """RESTORING until ``start``; RUNNING after."""

    RESTORING = "restoring"
    RUNNING = "running"


@dataclass(frozen=True, slots=True)
class Output:
    """A record to write: logical topic, key, value (None = tombstone), explicit partition."""

    topic: str
    key: str
    value: bytes | None
    partition: int | None = None


# A flow's revision the partition's trigger states were declared from, and their trigger ids.
# A plain tuple of atoms, not a NamedTuple: the cyclic GC stops tracking plain tuples, and a
# partition holds one per flow (100k tracked KnownFlow tuples cost 0.5 s of full collections
# at start-up, and every full collection after).
KnownFlow = tuple[int, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Lock:
    """A trigger waiting for its execution to end."""

    uid: str
    execution_id: str
    locked_at: datetime


class TriggerPartition:
    """Everything this instance schedules for one partition."""

    def __init__(
        self,
        partition: int,
        *,
        tolerance: timedelta,
        default_policy: LatePolicy = LatePolicy.ALL,
        backfill_batch: int = 100,
    ) -> None:
        self.partition = partition
        self.status = PartitionStatus.RESTORING
        self.tolerance = tolerance
        self.default_policy = default_policy
        self.backfill_batch = backfill_batch
        self.states = StateStore()
        self.flows: dict[str, KnownFlow] = {}
        self.progress: dict[int, int] = {}
        # Next offset of the partition's flows partition the states reflect, and when the
        # progress record holding it was written (both restored from that record).
        self.flows_offset: int | None = None
        self.checkpoint_at: datetime | None = None
        self._reads_all_flows = True
        self.heap = DueHeap()
        self.declarations = Declarations()
        # Execution id -> lock; also read by the monitor thread, so entries are immutable.
        self.locks: dict[str, Lock] = {}
        self.flow_triggers = FlowTriggerIndex()
        self.kafka_triggers: dict[str, KafkaRealtimeTrigger | KafkaTrigger] = {}
        self.due_batches: list[str] = []
        self.due_polls: list[str] = []
        self._staged: dict[str, FlowRecord | bytes | None] = {}
        self._writes: dict[str, bytes | None] = {}
        self._executions: list[CreateExecution] = []
        self._progress_dirty = False

    # -- restoring -----------------------------------------------------------------------

    def restore(self, key: str, raw: bytes | None) -> None:
        """Apply one record of this partition of ``triggers`` (a tombstone deletes the key).

        Records are this scheduler's own writes: states stay encoded (``StateStore``) and
        summaries are read without validation, which keeps a 100k-trigger start-up short.
        """
        if raw is None:
            self.states.pop(key)
            self.flows.pop(key, None)
        elif raw.startswith(_STATE_PREFIX):
            self.states.load(key, raw)
        elif raw.startswith(_FLOWS_PREFIX):
            data = orjson.loads(raw)["data"]
            self.flows[key] = (data["revision"], tuple(data["trigger_ids"]))
        elif raw.startswith(_PROGRESS_PREFIX):
            progress = PROGRESS_SERDE.decode(raw)
            self.progress = dict(progress.offsets)
            self.flows_offset, self.checkpoint_at = progress.flows_offset, progress.written_at
        else:
            raise DecodeError(f"{key}: not a trigger-state, flow-triggers or scheduler-progress record")

    def flows_resume_offset(self, now: datetime, max_age: timedelta) -> int | None:
        """Where to read the partition's flows from: past the records the restored states
        reflect, or None (from the beginning) without such a checkpoint or when it is at
        least ``max_age`` old, since a tombstone written after it may have been compacted away.

        Reading from the beginning also drops the triggers of flows no record mentions.
        """
        fresh = self.flows_offset is not None and self.checkpoint_at is not None and now - self.checkpoint_at < max_age
        self._reads_all_flows = not fresh
        return self.flows_offset if fresh else None

    def flows_read(self, offset: int) -> None:
        """The ``flows`` record at ``offset`` was applied, staged or skipped as unreadable."""
        self.flows_offset = offset + 1
        self._progress_dirty = True

    def stage_flow(self, key: str, record: FlowRecord | bytes | None) -> None:
        """Remember the latest record of a flow while restoring (applied by ``start``).

        ``record`` may be the encoded ``flows`` value: it is decoded only if its revision is
        new to the trigger states.
        """
        self._staged[key] = record

    def start(self, now: datetime) -> None:
        """Reconcile staged flows with restored states, index everything, build the heap."""
        with paused_gc():
            self._start(now)
        self.status = PartitionStatus.RUNNING

    def _start(self, now: datetime) -> None:
        # One pass indexes the restored states as they are; reconciling with the staged flows
        # then goes through the same paths as a running partition's flow update, and the
        # states it rewrote are re-indexed from its pending writes.
        staged, self._staged = self._staged, {}
        flows, entries = self.flows, []
        for uid, summary in self.states.summaries().items():
            flow_uid, _, trigger_id = uid.rpartition("/")
            known = flows.get(flow_uid)
            flows[flow_uid] = (summary.revision, (trigger_id,)) if known is None else (known[0], (*known[1], trigger_id))
            if summary.execution_id is not None or summary.type in _INDEXED_TYPES:
                self._index(uid, summary, now)
            if (due := self._due(summary, now)) is not None:
                entries.append((due, uid))
        self.heap.rebuild(entries)
        if self._reads_all_flows:
            for flow_uid in [uid for uid in flows if uid not in staged]:
                self._apply(flow_uid, None, now)  # deleted, and its tombstone compacted away
        for flow_uid, record in staged.items():
            known = flows.get(flow_uid)
            try:
                if record is None or known is None or known[0] != _revision(record):
                    self._apply(flow_uid, _decoded(record), now)
            except (DecodeError, ValueError, KeyError) as exc:
                logger.error("flows record %s skipped: %s", flow_uid, exc)
        for uid in self._writes:
            if (state := self.states.get(uid)) is not None:
                self._schedule(uid, summarize(state), now)

    # -- flows ---------------------------------------------------------------------------

    def apply_flow(self, flow_uid: str, record: FlowRecord | None, now: datetime) -> None:
        """A flow was deployed, updated or deleted: create, update or drop its triggers."""
        if self.status is PartitionStatus.RESTORING:
            self.stage_flow(flow_uid, record)
        else:
            self._apply(flow_uid, record, now)

    def _apply(self, flow_uid: str, record: FlowRecord | None, now: datetime) -> None:
        old = self.flows.get(flow_uid)
        declared = declare_triggers(record) if record is not None else []
        namespace, _, flow_id = flow_uid.partition("/")
        keep = set()
        for trigger, declaration, flow_disabled in declared:
            uid = f"{flow_uid}/{trigger.id}"
            keep.add(uid)
            state = self._declare(uid, namespace, flow_id, record, trigger, declaration, flow_disabled, now)
            self._put(state, now)
        for trigger_id in old[1] if old is not None else ():
            uid = f"{flow_uid}/{trigger_id}"
            if uid not in keep:
                self._drop(uid)
        trigger_ids = tuple(t.id for t, _, _ in declared)
        if record is None:
            self.flows.pop(flow_uid, None)
        else:
            self.flows[flow_uid] = (record.revision, trigger_ids)
        # Trigger states tell which revision of their flow was seen; a flow without triggers
        # has none, so a FlowTriggers record does (and is dropped once states exist).
        if record is not None and not trigger_ids:
            summary = FlowTriggers(namespace=namespace, flow_id=flow_id, revision=record.revision, trigger_ids=[])
            self._writes[flow_uid] = FLOW_TRIGGERS_SERDE.encode(summary)
        elif old is not None and not old[1]:
            self._writes[flow_uid] = None

    def _declare(
        self, uid: str, namespace: str, flow_id: str, record: FlowRecord, trigger: Trigger,
        declaration: dict[str, Any], flow_disabled: bool, now: datetime,
    ) -> TriggerState:
        previous = self.states.get(uid)
        if previous is not None and previous.type != trigger.type_name:
            previous = None
        disabled = flow_disabled or bool(getattr(trigger, "disabled", False))
        fields: dict[str, Any] = {"revision": record.revision, "declaration": declaration, "disabled": disabled, "updated_at": now}
        fields.update(self.declarations.initial_fields(trigger, previous, now))
        if previous is None:
            return TriggerState(uid=uid, namespace=namespace, flow_id=flow_id, trigger_id=trigger.id,
                                type=trigger.type_name, **fields)
        return previous.model_copy(update=fields)

    # -- evaluation ----------------------------------------------------------------------

    def next_due(self) -> float | None:
        """Epoch seconds of the earliest due trigger, or None."""
        return self.heap.peek()

    def tick(self, now: datetime) -> None:
        """Evaluate every due trigger: O(due), nothing else is looked at."""
        for uid in self.heap.pop_due(now.timestamp()):
            state = self.states.get(uid)
            if state is None or state.disabled:
                continue
            try:
                self._evaluate(state, now)
            except Exception:  # noqa: BLE001 - one broken trigger must not stop the others
                # Left out of the heap: a new flow revision declares it again.
                logger.exception("trigger %s could not be evaluated and is not rescheduled", uid)

    def _evaluate(self, state: TriggerState, now: datetime) -> None:
        trigger = self.declarations.model(state)
        if isinstance(trigger, Schedule):
            step = evaluate_schedule(
                state, trigger, now, tolerance=self.tolerance, default_policy=self.default_policy,
                allow_concurrent=bool(getattr(trigger, "allow_concurrent", False)),
                backfill_batch=self.backfill_batch,
                conditions=self.declarations.conditions(trigger) if trigger.conditions else None,
            )
            if step.dropped:
                logger.info("trigger %s: missed ticks dropped by its late-tick policy", state.uid)
            self._executions.extend(step.executions)
            self._put(step.state, now)
        elif isinstance(trigger, ScheduleOnDates):
            step = evaluate_on_dates(
                state, trigger, now, tolerance=self.tolerance, default_policy=self.default_policy,
                conditions=self.declarations.conditions(trigger) if trigger.conditions else None,
            )
            if step.dropped:
                logger.info("trigger %s: missed dates dropped by its late-date policy", state.uid)
            self._executions.extend(step.executions)
            self._put(step.state, now)
        elif isinstance(trigger, KafkaTrigger) and state.execution_id is None:
            self.due_batches.append(state.uid)
        elif isinstance(trigger, HttpTrigger) and state.execution_id is None:
            # The runtime sends the request; the next poll is an interval from this one.
            self.due_polls.append(state.uid)
            self._put(state.model_copy(update={"next_date": now + trigger.interval, "updated_at": now}), now)

    def poll_request(self, uid: str) -> HttpRequest:
        """The rendered request of a due http.Trigger."""
        state = self.states[uid]
        trigger = self.declarations.model(state)
        assert isinstance(trigger, HttpTrigger)
        return request_of(state, trigger)

    def fire_poll(self, uid: str, response: HttpResponse, polled_at: datetime, now: datetime) -> CreateExecution | None:
        """An http.Trigger's response is back: start an execution when its condition holds."""
        state = self.states.get(uid)
        if state is None or state.disabled or state.execution_id is not None:
            return None
        trigger = self.declarations.model(state)
        assert isinstance(trigger, HttpTrigger)
        if response.error is not None:
            logger.warning("trigger %s: %s %s failed: %s", uid, trigger.method, response.uri, response.error)
            return None
        if not response_holds(state, trigger, response):
            return None
        created = triggered_execution(state, response.variables(), ("http", polled_at.isoformat()), now)
        self._executions.append(created)
        self._put(state.model_copy(update={"execution_id": created.execution_id, "locked_at": now, "updated_at": now}), now)
        return created

    def fire_batch(self, uid: str, records: list[dict[str, Any]], now: datetime) -> CreateExecution | None:
        """A batch Kafka trigger is due with ``records`` (maybe none): start one execution."""
        state = self.states[uid]
        trigger = self.declarations.model(state)
        assert isinstance(trigger, KafkaTrigger)
        updates: dict[str, Any] = {"next_date": now + trigger.interval, "updated_at": now}
        created = None
        if records:
            first, last = records[0], records[-1]
            cause = ("batch", first["topic"], first["partition"], first["offset"], last["offset"], len(records))
            variables = {"messagesCount": len(records), "messages": records}
            created = triggered_execution(state, variables, cause, now)
            self._executions.append(created)
            updates.update(execution_id=created.execution_id, locked_at=now)
        self._put(state.model_copy(update=updates), now)
        return created

    def fire_record(self, uid: str, variables: dict[str, Any], now: datetime) -> CreateExecution:
        """A realtime Kafka trigger received one record: start one execution for it."""
        state = self.states[uid]
        cause = ("record", variables["topic"], variables["partition"], variables["offset"])
        created = triggered_execution(state, variables, cause, now)
        self._executions.append(created)
        return created

    # -- upstream executions -------------------------------------------------------------

    def on_execution(self, es_partition: int, offset: int, view: ExecutionView | None, key: str, now: datetime) -> None:
        """One ``execution-states`` record at or past this partition's progress."""
        start = self.progress.get(es_partition)
        if start is None or offset < start:
            return
        self.progress[es_partition] = offset + 1
        self._progress_dirty = True
        if view is None:
            return
        lock = self.locks.get(view.id)
        if lock is not None and view.terminal:
            self._release(lock.uid, view, now)
        if view.terminal or view.state.value == "PAUSED":
            self._fire_flow_triggers(view, now)

    def _release(self, uid: str, view: ExecutionView, now: datetime) -> None:
        state = self.states[uid]
        try:
            stop_after = self.declarations.model(state).stop_after or ()
        except Exception:  # noqa: BLE001 - the lock is released whatever the declaration holds
            logger.exception("trigger %s: stopAfter unreadable, ignored", uid)
            stop_after = ()
        disabled = state.disabled or view.state.value in stop_after
        if disabled and not state.disabled:
            logger.info("trigger %s disabled: its execution %s ended %s (stopAfter)", uid, view.id, view.state)
        self._put(state.model_copy(update={"execution_id": None, "locked_at": None, "disabled": disabled, "updated_at": now}), now)

    def _fire_flow_triggers(self, view: ExecutionView, now: datetime) -> None:
        for uid, matcher, context in self.flow_triggers.fired_by(view):
            state = self.states[uid]
            outputs = None
            if matcher.multiple:
                # Counted in the trigger's windows, committed with the progress that read it.
                windows = dict(state.windows or {})
                fired = True
                outputs = dict(view.outputs or {})
                for condition in matcher.multiple:
                    try:
                        step = advance(condition, windows.get(condition.id), context, now)
                    except ConditionError as exc:
                        logger.warning("flow trigger %s: condition %s not evaluated for execution %s: %s",
                                       uid, condition.id, view.id, exc.message)
                        step = WindowStep(windows.get(condition.id), False, {})
                    if step.window is None:
                        windows.pop(condition.id, None)
                    else:
                        windows[condition.id] = step.window
                    fired = fired and step.fired
                    outputs = deep_merge(outputs, step.outputs)
                if windows != (state.windows or {}):
                    state = state.model_copy(update={"windows": windows or None, "updated_at": now})
                    self._put(state, now)
                if not fired:
                    continue
            try:
                self._executions.append(flow_trigger_execution(state, view, now, outputs))
            except TriggerDefinitionError as exc:
                logger.error("flow trigger %s not fired for execution %s: %s", uid, view.id, exc)

    def locked(self) -> list[Lock]:
        """The triggers waiting for an execution to end (for the monitoring loop)."""
        return list(self.locks.values())

    # -- writes --------------------------------------------------------------------------

    def init_progress(self, offsets: dict[int, int]) -> None:
        """Start reading ``execution-states`` partitions this partition has no progress for."""
        for es_partition, offset in offsets.items():
            if es_partition not in self.progress:
                self.progress[es_partition] = offset
                self._progress_dirty = True

    def drain(
        self, *, with_progress: bool, now: datetime | None = None
    ) -> tuple[list[CreateExecution], list[Output]]:
        """The executions to create and the ``triggers`` records to write, then forget them.

        The progress record joins when there are other writes (it must commit with them) or
        when ``with_progress`` (periodic, so a new owner re-reads little, and at least every
        ``PROGRESS_REFRESH`` so its flows checkpoint stays usable). It is stamped with ``now``.
        """
        executions, self._executions = self._executions, []
        writes, self._writes = self._writes, {}
        if with_progress and now is not None and (self.checkpoint_at is None or now - self.checkpoint_at >= PROGRESS_REFRESH):
            self._progress_dirty = True
        if self._progress_dirty and (executions or writes or with_progress):
            self.checkpoint_at = now or self.checkpoint_at
            progress = Progress(offsets=self.progress, flows_offset=self.flows_offset, written_at=self.checkpoint_at)
            writes[progress_key(self.partition)] = PROGRESS_SERDE.encode(progress)
            self._progress_dirty = False
        outputs = [Output("triggers", key, value, self.partition) for key, value in writes.items()]
        return executions, outputs

    def _put(self, state: TriggerState, now: datetime) -> None:
        old = self.states.get(state.uid)
        if old is not None and old.execution_id is not None and old.execution_id != state.execution_id:
            self.locks.pop(old.execution_id, None)
        self.states[state.uid] = state
        self._writes[state.uid] = TRIGGER_STATE_SERDE.encode(state)
        if self.status is PartitionStatus.RUNNING:
            self._schedule(state.uid, summarize(state), now)

    def _drop(self, uid: str) -> None:
        state = self.states.pop(uid)
        if state is not None and state.execution_id is not None:
            self.locks.pop(state.execution_id, None)
        self.heap.discard(uid)
        self.flow_triggers.discard(uid)
        self.kafka_triggers.pop(uid, None)
        self.declarations.forget(uid)
        self._writes[uid] = None

    def _schedule(self, uid: str, summary: StateSummary, now: datetime) -> None:
        self._index(uid, summary, now)
        due = self._due(summary, now)
        if due is None:
            self.heap.discard(uid)
        else:
            self.heap.schedule(uid, due)

    def _index(self, uid: str, summary: StateSummary, now: datetime) -> None:
        if summary.execution_id is not None:
            self.locks[summary.execution_id] = Lock(uid, summary.execution_id, summary.locked_at or now)
        if summary.type == FlowTrigger.type_name:
            self.flow_triggers.declare(self.states[uid])
        elif summary.type in (KafkaRealtimeTrigger.type_name, KafkaTrigger.type_name):
            if summary.disabled:
                self.kafka_triggers.pop(uid, None)
            else:
                self.kafka_triggers[uid] = self.declarations.model(self.states[uid])  # type: ignore[assignment]

    @staticmethod
    def _due(summary: StateSummary, now: datetime) -> float | None:
        if summary.disabled:
            return None
        if summary.backfill_active:
            return now.timestamp()
        if summary.execution_id is not None:
            return None
        return summary.next_at

    def iter_states(self) -> Iterator[TriggerState]:
        """Every trigger state of the partition."""
        return self.states.values()


def _revision(record: FlowRecord | bytes) -> int:
    if isinstance(record, FlowRecord):
        return record.revision
    # FlowRecord has no nested objects and quotes inside JSON strings are escaped, so the
    # first unescaped "revision": is the field itself; a full decode costs 10x more.
    found = _REVISION.search(record)
    if found is None:
        raise DecodeError("flow record has no revision")
    return int(found.group(1))


def _decoded(record: FlowRecord | bytes | None) -> FlowRecord | None:
    if record is None or isinstance(record, FlowRecord):
        return record
    return FLOW_RECORD.decode(record)
