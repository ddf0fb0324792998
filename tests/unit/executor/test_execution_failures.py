"""An execution never vanishes: through a real StreamTask, store, flow table and
ExecutionProcessor (no broker), what goes wrong for an execution fails it, and only records
of no execution are dead-lettered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from confluent_kafka import TopicPartition
from runtime_fakes import RawProducer, message

from harrier.core.executions import Execution
from harrier.core.messages import CreateExecution, FlowRecord, ParentRef, WorkerResult
from harrier.core.states import State
from harrier.core.transitions import engine
from harrier.executor.flows import FlowTable
from harrier.executor.processor import ExecutionProcessor
from harrier.executor.sink import RecordSink
from harrier.executor.tasks import StreamTask, TaskState
from harrier.topics.records import FLOW_RECORD, WORKER_RESULT, WORKER_TASK, encode_command
from harrier.topics.serdes import encode_key
from harrier.topics.transactions import TransactionalProducer

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FLOW = """
id: f
namespace: t
inputs:
  - {id: big, type: STRING, defaults: small}
tasks:
  - {id: first, type: Log, message: "{{ inputs.big }}"}
  - id: route
    type: Switch
    value: a
    cases:
      a: [{id: ra, type: Log, message: a}]
"""


# A child whose end reports its (large) output to its parent on `executions`.
CHILD = """
id: child
namespace: t
inputs:
  - {id: big, type: STRING}
tasks:
  - {id: work, type: Log, message: working}
outputs:
  - {id: echo, value: "{{ inputs.big }}"}
"""


class Harness:
    """One running stream task over partition 0, its records captured."""

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.table = FlowTable()
        for flow_id, source in (("f", FLOW), ("child", CHILD)):
            record = FlowRecord(namespace="t", id=flow_id, revision=1, source=source)
            self.table.apply(record.uid, FLOW_RECORD.encode(record))
        self.raw = RawProducer()
        sink = RecordSink(TransactionalProducer(self.raw, "tx"), "p.", "p.dead-letters", limits)
        processor = ExecutionProcessor(self.table, 8 * 1024 * 1024, timedelta(hours=1), clock=lambda: NOW)
        self.task = StreamTask(0, [TopicPartition("p.executions", 0)], processor, sink, "p.execution-states")
        self.task.transition(TaskState.RUNNING)
        self.offset = 0

    def send(self, topic: str, key: str, value: bytes) -> None:
        self.offset += 1
        self.task.process(message(f"p.{topic}", 0, self.offset, encode_key(key), value), topic)

    def create(self, inputs: dict[str, Any] | None = None, flow_id: str = "f", parent: ParentRef | None = None) -> None:
        command = CreateExecution(
            execution_id="e1", namespace="t", flow_id=flow_id, inputs=inputs or {}, parent=parent, created_at=NOW,
        )
        self.send("executions", "e1", encode_command(command))

    def finish(self, task_bytes: bytes) -> None:
        task = WORKER_TASK.decode(task_bytes)
        result = WorkerResult(
            execution_id="e1", task_run_id=task.task_run_id, attempt=task.attempt, state=State.SUCCESS,
            started_at=NOW, ended_at=NOW,
        )
        self.send("worker-results", "e1", WORKER_RESULT.encode(result))

    def topics(self) -> list[str]:
        return [r["topic"] for r in self.raw.records]

    def records(self, topic: str) -> list[dict[str, Any]]:
        return [r for r in self.raw.records if r["topic"] == f"p.{topic}"]

    @property
    def execution(self) -> Execution:
        return self.task.store.get("e1")


def test_a_worker_task_too_large_for_its_topic_fails_its_task_run() -> None:
    h = Harness(limits={"worker-tasks": 4000})
    h.create({"big": "x" * 5000})
    execution = h.execution
    assert execution.state is State.FAILED
    [first] = execution.task_runs
    assert first.state is State.FAILED
    assert first.error.startswith("output to worker-tasks is ")
    assert first.error.endswith("over the topic's max.message.bytes of 4000")
    assert execution.error == f"task first failed: {first.error}"
    assert "p.worker-tasks" not in h.topics() and "p.dead-letters" not in h.topics()
    [log] = [line for r in h.records("logs") for line in orjson.loads(r["value"])["data"]["messages"]]
    assert log == first.error


def test_a_flowable_bug_fails_the_execution_at_that_task_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(run, tr, task):  # type: ignore[no-untyped-def]
        raise AttributeError("'NoneType' object has no attribute 'cases'")

    monkeypatch.setattr(engine, "initialize", broken)
    h = Harness()
    h.create()
    h.finish(h.records("worker-tasks")[0]["value"])
    execution = h.execution
    assert execution.state is State.FAILED
    route = next(tr for tr in execution.task_runs if tr.task_id == "route")
    assert route.state is State.FAILED
    assert route.error == "AttributeError: 'NoneType' object has no attribute 'cases'"
    assert "p.dead-letters" not in h.topics()


def test_an_execution_whose_flow_is_gone_fails_saying_so() -> None:
    h = Harness()
    h.create()
    [task] = h.records("worker-tasks")
    h.table.apply("t/f", None)
    h.finish(task["value"])
    execution = h.execution
    assert execution.state is State.FAILED
    assert execution.error == "execution e1: flow t/f revision 1 is not in the flow table"
    assert execution.task_runs[0].state is State.KILLED
    assert "p.dead-letters" not in h.topics()


def test_a_record_of_no_execution_is_still_dead_lettered() -> None:
    h = Harness()
    command = CreateExecution(execution_id="e1", namespace="t", flow_id="f", created_at=NOW)
    h.send("executions", "other", encode_command(command))
    assert h.topics() == ["p.dead-letters"]
    assert h.task.store.get("other") is None and h.task.store.get("e1") is None


def test_a_create_for_a_flow_the_table_refused_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harrier.executor.processor.UNKNOWN_FLOW_WAIT_S", 0.01)
    h = Harness()
    source = FLOW.replace("value: a", "value: \"{{ taskrun.value is wobbly }}\"")
    record = FlowRecord(namespace="t", id="f", revision=2, source=source)
    h.table.apply("t/f", None)  # no valid revision left to fall back on
    h.table.apply(record.uid, FLOW_RECORD.encode(record))
    h.create()
    execution = h.execution
    assert execution.state is State.FAILED
    assert execution.error == (
        "flow t/f is invalid: flows[t/f]:10:12: tasks[1].value: "
        "invalid expression '{{ taskrun.value is wobbly }}': no test named 'wobbly'"
    )


def test_an_execution_whose_end_cannot_be_reported_to_its_parent_fails_from_where_it_was() -> None:
    h = Harness(limits={"executions": 4000})
    parent = ParentRef(execution_id="p1", task_run_id="tr-p", namespace="t", flow_id="parent")
    h.create({"big": "x" * 5000}, flow_id="child", parent=parent)
    h.finish(h.records("worker-tasks")[0]["value"])
    execution = h.execution
    assert execution.state is State.FAILED and execution.outputs is None
    assert execution.error.startswith("output to executions is ")
    # Failed from its state before the result that ended it: that result did not count.
    assert execution.task_runs[0].state is State.KILLED
    [report] = h.records("executions")
    assert report["key"] == b"p1" and orjson.loads(report["value"])["data"]["state"] == "FAILED"
    assert "p.dead-letters" not in h.topics()
