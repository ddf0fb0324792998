"""The bridge between the stream runtime and the execution logic.

`ExecutionProcessor` implements `harrier.executor.processing.Processor`: it decodes
`executions` commands and `worker-results`, finds the execution's flow in the global flow
table, applies the pure `step`, stores the new snapshot (the store's changelog is
`execution-states`) and returns the records to emit:

| what            | topic           | key           |
|-----------------|-----------------|---------------|
| worker tasks    | worker-tasks    | task run id   |
| kill requests   | worker-controls | task run id   |
| commands        | executions      | execution id  |
| log lines       | logs            | execution id  |

A create for an unknown (or invalid) flow ends in a FAILED execution saying so. Whatever else goes wrong
for an execution (something raised in `step`, its flow gone, an output too large for its
topic) ends it FAILED through `fail`, with the error on the task run being worked on (see
`harrier.core.transitions.failures`): an execution never vanishes. Only a record that belongs
to no execution (it does not decode, or its key is not its execution id) is dead-lettered.
A snapshot that would exceed `executor.max-snapshot-bytes` fails its execution too (see
`harrier.core.transitions.snapshots`). A terminal execution is deleted from the store (a
tombstone on `execution-states`) `executor.state-tombstone-grace` after it ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from harrier.config.settings import Settings
from harrier.core import sealing
from harrier.core.concurrency import (
    AdmissionDecision,
    AdmissionRequest,
    ExecutionReleased,
    FlowSlots,
    admit,
    release,
)
from harrier.core.executions import Execution
from harrier.core.expressions import set_file_storage
from harrier.core.flows import Flow
from harrier.core.kv import configure_store
from harrier.core.logbatches import batch_entries
from harrier.core.messages import CreateExecution, ExecutionCommand
from harrier.core.transitions import (
    StepError,
    StepResult,
    TimersDue,
    describe_error,
    fail_execution,
    fail_oversize,
    reject,
    step,
)
from harrier.core.transitions.snapshots import SnapshotSizer
from harrier.executor.exceptions import ExecutorError, OutputTooLarge
from harrier.executor.flows import FlowFeed, FlowTable
from harrier.executor.processing import InputRecord, OutputRecord
from harrier.executor.store import PartitionStore
from harrier.kv.store import TopicKVStore
from harrier.storage.factory import storage_from_settings
from harrier.topics.clients import create_consumer
from harrier.topics.exceptions import DecodeError
from harrier.topics.records import LOG_BATCH, WORKER_CONTROL, WORKER_RESULT, WORKER_TASK, encode_command
from harrier.topics.serdes import ENVELOPE_VERSION, ModelSerde, decode_envelope, encode_key
from harrier.topics.specs import topic_name

__all__ = [
    "AdmissionProcessor",
    "ExecutionCodec",
    "ExecutionProcessor",
    "SnapshotTooLargeError",
    "UnknownFlowError",
    "create_processor",
]

logger = logging.getLogger("harrier.executor")

EXECUTION_SERDE: ModelSerde[Execution] = ModelSerde("execution", Execution)

_EXECUTION_PREFIX = b'{"v":%d,"type":"execution","data":' % ENVELOPE_VERSION
_COMMANDS: TypeAdapter[Any] = TypeAdapter(
    Annotated[ExecutionCommand | AdmissionDecision, Field(discriminator="command")]  # type: ignore[arg-type]
)
ADMISSION_REQUEST = ModelSerde("admission-request", AdmissionRequest)
EXECUTION_RELEASED = ModelSerde("execution-released", ExecutionReleased)
FLOW_SLOTS = ModelSerde("flow-slots", FlowSlots)

# Outputs keyed by the id of the task run they belong to.
_KEYED_BY_TASK_RUN = frozenset({"worker-tasks", "worker-controls"})

# How long a create for a flow not (yet) in the table waits for it: a flow deployed just
# before its first execution may still be on its way through the flows topic.
UNKNOWN_FLOW_WAIT_S = 2.0


class UnknownFlowError(ExecutorError):
    """An event targets an execution whose flow is not in the flow table."""


class SnapshotTooLargeError(ExecutorError):
    """An execution's snapshot stays over the size limit even once failed and slimmed."""



class ExecutionCodec:
    """Execution snapshots on `execution-states`; the last encoding is reused once."""

    def __init__(self, tombstone_grace: timedelta) -> None:
        self.tombstone_grace = tombstone_grace
        self._last: tuple[Execution | None, bytes] = (None, b"")

    def encode(self, state: Execution) -> bytes:
        """The envelope bytes of a snapshot (None fields left out)."""
        last, data = self._last
        if last is state:
            return data
        data = _EXECUTION_PREFIX + state.to_json() + b"}"
        self._last = (state, data)
        return data

    def decode(self, data: bytes) -> Execution:
        """The snapshot in a changelog value."""
        return EXECUTION_SERDE.decode(data)

    def next_timer(self, state: Execution) -> datetime | None:
        """The earliest timer of a live execution; the tombstone time of an ended one."""
        if state.state.terminal:
            ended = state.ended_at or state.created_at
            return ended + self.tombstone_grace
        return state.next_timer

    def rests(self, state: Execution) -> bool:
        """An ended execution only waits for its tombstone (or a rare restart or late record)."""
        return state.state.terminal


class ExecutionProcessor:
    """Runs executions: see the module docstring."""

    def __init__(
        self,
        flows: FlowTable,
        max_snapshot_bytes: int,
        tombstone_grace: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.flows = flows
        self.max_snapshot_bytes = max_snapshot_bytes
        self.codec = ExecutionCodec(tombstone_grace)
        self.sizer = SnapshotSizer()
        self.clock = clock

    def decode(self, source: str, value: bytes) -> Any:
        """A command (`executions`) or a worker result (`worker-results`)."""
        if source == "worker-results":
            return WORKER_RESULT.decode(value)
        if source == "executions":
            envelope = decode_envelope(value)
            try:
                command = _COMMANDS.validate_python(envelope.data)
            except ValidationError as exc:
                error = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in error["loc"])
                raise DecodeError(f"executions command: {where}: {error['msg']}") from None
            if command.command != envelope.kind:
                raise DecodeError(f"envelope type {envelope.kind!r} does not match command {command.command!r}")
            return command
        raise DecodeError(f"the executor does not read {source!r}")

    def process(self, record: InputRecord, store: PartitionStore) -> Sequence[OutputRecord]:
        """Apply one command or worker result to its execution."""
        event = record.value
        if event is None:
            return ()
        if event.execution_id != record.key:
            raise DecodeError(f"record key {record.key!r} is not the execution id {event.execution_id!r}")
        now = self.clock()
        execution: Execution | None = store.get(record.key)
        if isinstance(event, CreateExecution) and execution is None:
            flow = self.flows.wait_for(event.namespace, event.flow_id, event.revision, UNKNOWN_FLOW_WAIT_S)
            if flow is None:
                what = f"{event.namespace}/{event.flow_id}" + (f" revision {event.revision}" if event.revision else "")
                refused = self.flows.refusal(event.namespace, event.flow_id)
                error = f"flow {what} not found" if refused is None else f"flow {what} is invalid: {refused}"
                return self._apply(record.key, reject(event, error, now), None, store, now)
        else:
            if execution is None:
                # Legitimate for a late duplicate of an execution ended and removed after its
                # grace; anything else is a lost state, so it is never silent.
                logger.info("no execution %s in the store: %s dropped", record.key, type(event).__name__)
                return ()
            flow = self._flow_of(execution)
        return self._apply(record.key, step(execution, flow, event, now), flow, store, now)

    def punctuate(self, key: str, now: datetime, store: PartitionStore) -> Sequence[OutputRecord]:
        """Fire the due timers of an execution, or tombstone an ended one after its grace."""
        if store.resting(key):
            # Only an ended execution rests, and its one timer is its tombstone.
            store.delete(key)
            return ()
        execution: Execution | None = store.get(key)
        if execution is None:
            return ()
        if execution.state.terminal:
            store.delete(key)
            return ()
        flow = self._flow_of(execution)
        result = step(execution, flow, TimersDue(key), now)
        if not result.changed and execution.next_timer is not None:
            # Fired before its time (clocks differ): put it back so the store re-arms it.
            store.put(key, execution)
            return []
        return self._apply(key, result, flow, store, now)

    def fail(self, key: str, value: Any, error: Exception, store: PartitionStore) -> Sequence[OutputRecord] | None:
        """End execution `key` FAILED with `error`; None for a record of no execution, or of
        one that had already ended (nothing is left to fail)."""
        if isinstance(error, DecodeError):
            return None
        now = self.clock()
        # The runtime's own errors (an output too large, a flow gone) read well as they are.
        message = str(error) if isinstance(error, ExecutorError) else describe_error(error)
        task_run_id: str | None = None
        if isinstance(error, StepError):
            task_run_id = error.task_run_id
            execution = error.execution
        else:
            # With the record's changes, when it made any: for an output too large, the
            # execution holds the task run whose output it was.
            execution = store.get(key)
            if isinstance(error, OutputTooLarge) and error.topic in _KEYED_BY_TASK_RUN and error.key:
                task_run_id = error.key.decode("utf-8", "replace")
        if execution is None or execution.state.terminal:
            # Ended by this very record (its end could not be shipped): fail it from before.
            execution = store.before(key)
        if execution is None:
            if isinstance(value, CreateExecution):
                return self._apply(key, reject(value, message, now), None, store, now)
            return None
        flow = self.flows.get(execution.namespace, execution.flow_id, execution.flow_revision)
        result = fail_execution(execution, flow, message, task_run_id, now)
        if not result.changed:
            logger.error("execution %s: %s; it had already ended, so the record is dead-lettered", key, message)
            return None
        logger.error("execution %s failed: %s", key, message)
        return self._apply(key, result, flow, store, now)

    def _flow_of(self, execution: Execution) -> Flow:
        flow = self.flows.get(execution.namespace, execution.flow_id, execution.flow_revision)
        if flow is None:
            raise UnknownFlowError(
                f"execution {execution.id}: flow {execution.uid} revision {execution.flow_revision} is not in the flow table"
            )
        return flow

    def _apply(
        self, key: str, result: StepResult, flow: Flow | None, store: PartitionStore, now: datetime
    ) -> list[OutputRecord]:
        if not result.changed or result.execution is None:
            return []
        execution = result.execution
        # An upper bound, cheap per step; the store encodes the snapshot once per commit.
        size = self.sizer.execution(execution)
        if size > self.max_snapshot_bytes and flow is not None:
            result = fail_oversize(execution, flow, size, self.max_snapshot_bytes, now)
            execution = result.execution or execution
            size = len(self.codec.encode(execution))
        if size > self.max_snapshot_bytes:
            raise SnapshotTooLargeError(
                f"execution {key}: even without outputs its snapshot is {size} bytes, "
                f"over executor.max-snapshot-bytes ({self.max_snapshot_bytes})"
            )
        store.put(key, execution)
        return self.records(result)

    def records(self, result: StepResult) -> list[OutputRecord]:
        """The output records of a step result."""
        out: list[OutputRecord] = []
        for task in result.worker_tasks:
            out.append(OutputRecord("worker-tasks", encode_key(task.task_run_id), WORKER_TASK.encode(task)))
        for control in result.controls:
            out.append(OutputRecord("worker-controls", encode_key(control.task_run_id), WORKER_CONTROL.encode(control)))
        for command in result.commands:
            out.append(OutputRecord("executions", encode_key(command.execution_id), encode_command(command)))
        for batch in batch_entries(result.logs):
            out.append(OutputRecord("logs", encode_key(batch.execution_id), LOG_BATCH.encode(batch)))
        for message in result.admissions:
            serde = ADMISSION_REQUEST if isinstance(message, AdmissionRequest) else EXECUTION_RELEASED
            out.append(OutputRecord("executions-by-flow", encode_key(message.flow_uid), serde.encode(message)))
        return out


class FlowSlotsCodec:
    """`FlowSlots` states of the admission owner; they have no timers."""

    def encode(self, state: FlowSlots) -> bytes:
        """The envelope bytes of a flow's slots."""
        return FLOW_SLOTS.encode(state)

    def decode(self, data: bytes) -> FlowSlots:
        """The slots in a changelog value."""
        return FLOW_SLOTS.decode(data)

    def next_timer(self, state: FlowSlots) -> datetime | None:
        """Never: admissions only move on requests and releases."""
        return None

    def rests(self, state: FlowSlots) -> bool:
        """Never: a flow's slots are read by every request."""
        return False


class AdmissionProcessor:
    """The owner of `executions-by-flow`: counts running executions per flow (see
    `harrier.core.concurrency`) and answers on `executions`. Its store, keyed by flow uid,
    needs a compacted changelog topic of its own."""

    codec = FlowSlotsCodec()

    def decode(self, source: str, value: bytes) -> AdmissionRequest | ExecutionReleased:
        """A request or a release."""
        envelope = decode_envelope(value)
        if envelope.kind == "admission-request":
            return ADMISSION_REQUEST.decode(value)
        if envelope.kind == "execution-released":
            return EXECUTION_RELEASED.decode(value)
        raise DecodeError(f"{source}: unexpected envelope type {envelope.kind!r}")

    def process(self, record: InputRecord, store: PartitionStore) -> Sequence[OutputRecord]:
        """Apply a request or a release to the flow's slots; emit the decisions."""
        message = record.value
        if message is None:
            return ()
        if message.flow_uid != record.key:
            raise DecodeError(f"record key {record.key!r} is not the flow {message.flow_uid!r}")
        slots: FlowSlots | None = store.get(record.key)
        if isinstance(message, AdmissionRequest):
            slots, decisions = admit(slots, message)
        else:
            slots, decisions = release(slots, message)
        if slots is None:
            store.delete(record.key)
        else:
            store.put(record.key, slots)
        return [OutputRecord("executions", encode_key(d.execution_id), encode_command(d)) for d in decisions]

    def punctuate(self, key: str, now: datetime, store: PartitionStore) -> Sequence[OutputRecord]:
        """Nothing is timed."""
        return ()

    def fail(self, key: str, value: Any, error: Exception, store: PartitionStore) -> None:
        """A flow's slots are no execution's state: the record is dead-lettered."""
        return None


def create_processor(settings: Settings) -> ExecutionProcessor:
    """The processor of one stream process, with its flow table loaded from `flows` and kept
    current in the background. Use `functools.partial(create_processor, settings)` as the
    supervisor's (picklable) factory."""
    sealing.configure(settings.encryption.secret_key)
    # Conditions and flowable properties may read files (fileExists, read) as Kestra's do.
    set_file_storage(storage_from_settings(settings))
    # kv() in flowable properties; the store opens (a consumer of `kv`) only when first read.
    configure_store(TopicKVStore(settings, f"{settings.topics.prefix}executor"))
    table = FlowTable()
    consumer = create_consumer(settings, None, f"{settings.topics.prefix}executor-flows")
    FlowFeed(consumer, topic_name(settings, "flows"), table).start()
    executor = settings.executor
    return ExecutionProcessor(table, executor.max_snapshot_bytes, executor.state_tombstone_grace)
