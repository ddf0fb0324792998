"""The bridge: records in, snapshots in the store and records out, with a real store and
flow table (no broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from harrier.core.messages import CreateExecution, FlowRecord, KillExecution, WorkerResult
from harrier.core.states import State
from harrier.executor.flows import FlowTable
from harrier.executor.processing import InputRecord
from harrier.executor.processor import ExecutionProcessor, UnknownFlowError
from harrier.executor.store import PartitionStore
from harrier.topics.exceptions import DecodeError
from harrier.topics.records import FLOW_RECORD, WORKER_RESULT, WORKER_TASK, encode_command

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TWO_TASKS = """
id: two
namespace: test
tasks:
  - {id: a, type: Log, message: a}
  - {id: b, type: Log, message: "{{ outputs.a.n }}", retry: {type: constant, interval: PT10S, maxAttempts: 2}}
"""


def _table(*sources: tuple[str, int]) -> FlowTable:
    table = FlowTable()
    for source, revision in sources:
        record = FlowRecord(namespace="test", id="two", revision=revision, source=source)
        table.apply(record.uid, FLOW_RECORD.encode(record))
    return table


class Harness:
    def __init__(self, table: FlowTable, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.clock = NOW
        self.processor = ExecutionProcessor(table, max_bytes, timedelta(hours=1), clock=lambda: self.clock)
        self.store = PartitionStore(0, self.processor.codec)
        self.offset = 0

    def feed(self, source: str, raw: bytes, key: str = "e1"):
        value = self.processor.decode(source, raw)
        self.offset += 1
        record = InputRecord(source, key, value, 0, self.offset, 0)
        self.store.begin()
        try:
            out = self.processor.process(record, self.store)
        except Exception:
            self.store.rollback()
            raise
        self.store.complete()
        return out

    def fire(self, key: str = "e1"):
        self.store.begin()
        out = self.processor.punctuate(key, self.clock, self.store)
        self.store.complete()
        return out


def _create(revision: int | None = None) -> bytes:
    return encode_command(CreateExecution(execution_id="e1", namespace="test", flow_id="two", revision=revision, created_at=NOW))


def _result(task_bytes: bytes, state: State = State.SUCCESS, outputs: dict | None = None) -> bytes:
    task = WORKER_TASK.decode(task_bytes)
    return WORKER_RESULT.encode(
        WorkerResult(
            execution_id=task.execution_id, task_run_id=task.task_run_id, attempt=task.attempt,
            state=state, outputs=outputs or {}, started_at=NOW, ended_at=NOW,
        )
    )


def test_create_then_results_end_the_execution_and_emit_keyed_records() -> None:
    h = Harness(_table((TWO_TASKS, 3)))
    out = h.feed("executions", _create())
    assert [o.topic for o in out] == ["worker-tasks"]
    task = WORKER_TASK.decode(out[0].value)
    assert out[0].key == task.task_run_id.encode()
    assert task.flow_revision == 3 and task.task == {"id": "a", "type": "Log", "message": "a"}
    out = h.feed("worker-results", _result(out[0].value, outputs={"n": 7}))
    second = WORKER_TASK.decode(out[0].value)
    assert second.context["outputs"] == {"a": {"n": 7}}
    h.feed("worker-results", _result(out[0].value))
    execution = h.store.get("e1")
    assert execution.state is State.SUCCESS
    changelog = dict(h.store.changelog())
    snapshot = orjson.loads(changelog["e1"])
    assert snapshot["type"] == "execution" and snapshot["data"]["state"] == "SUCCESS"
    assert h.processor.codec.decode(changelog["e1"]) == execution


def test_unknown_flow_fails_the_execution_with_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr("harrier.executor.processor.UNKNOWN_FLOW_WAIT_S", 0.01)
    h = Harness(FlowTable())
    out = h.feed("executions", _create())
    execution = h.store.get("e1")
    assert execution.state is State.FAILED
    assert execution.error == "flow test/two not found"
    assert [o.topic for o in out] == ["logs"]


def test_pinned_revision_is_used_and_a_missing_old_one_falls_forward() -> None:
    newer = TWO_TASKS.replace("message: a}", "message: new}")
    h = Harness(_table((TWO_TASKS, 1), (newer, 2)))
    out = h.feed("executions", _create(revision=1))
    assert WORKER_TASK.decode(out[0].value).task["message"] == "a"
    table = _table((newer, 5))
    assert table.get("test", "two", 3).revision == 5
    assert table.get("test", "two", 9) is None


def test_timers_fire_through_punctuate_and_terminal_executions_are_tombstoned() -> None:
    h = Harness(_table((TWO_TASKS, 1)))
    out = h.feed("executions", _create())
    out = h.feed("worker-results", _result(out[0].value))
    h.feed("worker-results", _result(out[0].value, State.FAILED))
    assert h.store.get("e1").state is State.RUNNING
    due = h.store.timers.next_due()
    assert due == (NOW + timedelta(seconds=10)).timestamp()
    h.clock = NOW + timedelta(seconds=10)
    retried = h.fire()
    assert WORKER_TASK.decode(retried[0].value).attempt == 2
    h.feed("worker-results", _result(retried[0].value))
    assert h.store.get("e1").state is State.SUCCESS
    assert h.store.timers.next_due() == (NOW + timedelta(seconds=10, hours=1)).timestamp()
    h.fire()
    assert h.store.get("e1") is None
    assert dict(h.store.changelog())["e1"] is None


def test_kill_emits_worker_controls_keyed_by_task_run() -> None:
    h = Harness(_table((TWO_TASKS, 1)))
    out = h.feed("executions", _create())
    task = WORKER_TASK.decode(out[0].value)
    out = h.feed("executions", encode_command(KillExecution(execution_id="e1")))
    assert [(o.topic, o.key) for o in out if o.topic == "worker-controls"] == [("worker-controls", task.task_run_id.encode())]
    assert h.store.get("e1").state is State.KILLED


def test_bad_records_raise_for_the_dead_letter_path() -> None:
    h = Harness(_table((TWO_TASKS, 1)))
    with pytest.raises(DecodeError):
        h.processor.decode("executions", b"not json")
    with pytest.raises(DecodeError, match="command"):
        h.processor.decode("executions", b'{"v":1,"type":"kill","data":{"command":"explode","execution_id":"e1"}}')
    with pytest.raises(DecodeError, match="is not the execution id"):
        h.feed("executions", _create(), key="other")
    h.feed("executions", _create())
    FlowTable.apply(h.processor.flows, "test/two", None)
    with pytest.raises(UnknownFlowError, match="not in the flow table"):
        h.feed("executions", encode_command(KillExecution(execution_id="e1")))
    assert h.store.get("e1").state is State.RUNNING


def test_oversize_snapshot_fails_the_execution(flow) -> None:
    h = Harness(_table((TWO_TASKS, 1)), max_bytes=3000)
    out = h.feed("executions", _create())
    h.feed("worker-results", _result(out[0].value, outputs={"blob": "x" * 5000}))
    execution = h.store.get("e1")
    assert execution.state is State.FAILED
    assert "over the limit of 3000 bytes" in execution.error


LIMITED = """
id: two
namespace: test
concurrency: {limit: 1}
tasks:
  - {id: a, type: Log, message: a}
"""


def test_limited_flow_goes_through_the_admission_owner() -> None:
    from harrier.executor.processor import AdmissionProcessor

    h = Harness(_table((LIMITED, 1)))
    owner = AdmissionProcessor()
    owner_store = PartitionStore(0, owner.codec)

    def to_owner(records):
        decisions = []
        for r in records:
            if r.topic != "executions-by-flow":
                continue
            assert r.key == b"test/two"
            owner_store.begin()
            decisions += owner.process(InputRecord("executions-by-flow", "test/two", owner.decode("executions-by-flow", r.value), 0, 0, 0), owner_store)
            owner_store.complete()
        return decisions

    out = h.feed("executions", _create())
    assert h.store.get("e1").state is State.QUEUED
    decisions = to_owner(out)
    assert [(d.topic, d.key) for d in decisions] == [("executions", b"e1")]
    out = h.feed("executions", decisions[0].value)
    assert h.store.get("e1").state is State.RUNNING
    task = next(o for o in out if o.topic == "worker-tasks")
    out = h.feed("worker-results", _result(task.value))
    assert h.store.get("e1").state is State.SUCCESS
    assert to_owner(out) == []
    assert owner_store.get("test/two") is None


def test_a_timer_fired_early_is_armed_again() -> None:
    h = Harness(_table((TWO_TASKS, 1)))
    out = h.feed("executions", _create())
    out = h.feed("worker-results", _result(out[0].value))
    h.feed("worker-results", _result(out[0].value, State.FAILED))
    due = h.store.timers.next_due()
    assert h.store.timers.pop_due(due) == ["e1"]
    h.clock = NOW + timedelta(seconds=5)
    assert h.fire() == []
    assert h.store.timers.next_due() == due
