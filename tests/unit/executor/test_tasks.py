"""StreamTask: process, dead letters, punctuate, lifecycle."""

from __future__ import annotations

import orjson
import pytest
from confluent_kafka import TopicPartition
from runtime_fakes import Adder, RawProducer, message

from harrier.executor import StoreError
from harrier.executor.sink import RecordSink
from harrier.executor.tasks import StreamTask, TaskState
from harrier.topics.transactions import TransactionalProducer


def _task() -> tuple[StreamTask, RawProducer, Adder]:
    raw = RawProducer()
    sink = RecordSink(TransactionalProducer(raw, "tx"), "p.", "p.dead-letters")
    processor = Adder()
    inputs = [TopicPartition("p.executions", 2), TopicPartition("p.worker-results", 2)]
    return StreamTask(2, inputs, processor, sink, "p.execution-states"), raw, processor


def _start(task: StreamTask) -> None:
    task.transition(TaskState.RUNNING)


def test_a_record_updates_the_store_and_emits_outputs_with_the_prefix() -> None:
    task, raw, _ = _task()
    _start(task)
    task.process(message("p.executions", 2, 7, b"e1", b'{"n": 3}'), "executions")
    task.process(message("p.executions", 2, 8, b"e1", b'{"n": 4}'), "executions")
    assert task.store.get("e1") == {"total": 7, "due": None}
    assert [(r["topic"], r["key"], r["value"]) for r in raw.records] == [
        ("p.out", b"e1", b"3"),
        ("p.out", b"e1", b"7"),
    ]


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        (None, b'{"n": 1}', "DecodeError: record has no key"),
        (b"e1", b"{oops", "JSONDecodeError"),
        (b"e1", b'{"n": -1}', "ValueError: negative"),
    ],
)
def test_a_bad_record_goes_to_dead_letters_and_leaves_no_trace(
    key: bytes | None, value: bytes, error: str
) -> None:
    task, raw, _ = _task()
    _start(task)
    task.process(message("p.executions", 2, 7, key, value), "executions")
    [letter] = raw.records
    headers = dict(letter["headers"])
    assert letter["topic"] == "p.dead-letters" and letter["value"] == value
    assert headers["harrier.dlq.offset"] == b"7"
    assert error in headers["harrier.dlq.error"].decode()
    assert len(task.store) == 0 and not task.store.dirty


def test_a_due_timer_fires_once_and_its_outputs_are_emitted() -> None:
    task, raw, processor = _task()
    _start(task)
    task.process(message("p.executions", 2, 1, b"e1", b'{"n": 2, "due": 100.0}'), "executions")
    task.punctuate(99.0)
    assert processor.fired == []
    task.punctuate(100.5)
    task.punctuate(200.0)
    assert [key for key, _ in processor.fired] == ["e1"]
    assert processor.fired[0][1].timestamp() == 100.5
    assert task.store.get("e1") == {"total": 4}
    assert raw.records[-1]["value"] == b"timer" and raw.records[-1]["partition"] == 0


def test_a_failing_timer_is_dead_lettered_with_its_state_and_not_retried() -> None:
    task, raw, processor = _task()
    _start(task)
    task.process(message("p.executions", 2, 1, b"e1", b'{"n": 13, "due": 5.0}'), "executions")
    task.punctuate(10.0)
    task.punctuate(20.0)
    letter = raw.records[-1]
    headers = dict(letter["headers"])
    assert letter["topic"] == "p.dead-letters" and letter["key"] == b"e1"
    assert orjson.loads(letter["value"]) == {"total": 13, "due": 5.0}
    assert headers["harrier.dlq.offset"] == b"-1"
    assert headers["harrier.dlq.error"] == b"punctuate: RuntimeError: unlucky"
    assert len(processor.fired) == 1
    assert task.store.get("e1") == {"total": 13, "due": 5.0}


def test_changelog_goes_to_the_task_partition() -> None:
    task, raw, _ = _task()
    _start(task)
    task.process(message("p.executions", 2, 1, b"e1", b'{"n": 1}'), "executions")
    raw.records.clear()
    task.write_changelog()
    assert raw.records == [
        {"topic": "p.execution-states", "value": b'{"total":1,"due":null}', "key": b"e1",
         "partition": 2}
    ]


def test_lifecycle_refuses_moves_outside_the_table() -> None:
    task, _, _ = _task()
    with pytest.raises(StoreError, match="partition 2: cannot go from restoring to restoring"):
        task.transition(TaskState.RESTORING)
    task.transition(TaskState.RUNNING)
    task.transition(TaskState.REVOKED)
    with pytest.raises(StoreError, match="from revoked to running"):
        task.transition(TaskState.RUNNING)


def test_an_output_over_its_topic_limit_dead_letters_the_record_instead() -> None:
    raw = RawProducer()
    sink = RecordSink(TransactionalProducer(raw, "tx"), "p.", "p.dead-letters", {"out": 3})
    task = StreamTask(0, [], Adder(), sink, "p.execution-states")
    task.transition(TaskState.RUNNING)
    task.process(message("p.executions", 0, 4, b"e1", b'{"n": 5}'), "executions")
    task.process(message("p.executions", 0, 5, b"e1", b'{"n": 100}'), "executions")
    assert [r["topic"] for r in raw.records] == ["p.out", "p.dead-letters"]
    error = dict(raw.records[1]["headers"])["harrier.dlq.error"].decode()
    assert error == (
        "OutputTooLarge: output to out is 5 bytes, over the topic's max.message.bytes of 3"
    )
    assert task.store.get("e1") == {"total": 5, "due": None}


def test_a_failure_the_processor_records_replaces_the_record_s_changes_and_is_no_dead_letter() -> None:
    task, raw, _ = _task()
    _start(task)
    task.process(message("p.executions", 2, 7, b"e1", b'{"n": 2}'), "executions")
    task.process(message("p.executions", 2, 8, b"e1", b'{"n": -5, "record": true}'), "executions")
    assert task.store.get("e1") == {"failed": "ValueError: negative"}
    assert [(r["topic"], r["value"]) for r in raw.records] == [("p.out", b"2"), ("p.errors", b"failed")]


def test_an_output_too_large_is_recorded_by_the_processor_with_its_topic_and_key() -> None:
    raw = RawProducer()
    sink = RecordSink(TransactionalProducer(raw, "tx"), "p.", "p.dead-letters", {"out": 3})
    task = StreamTask(0, [], Adder(), sink, "p.execution-states")
    task.transition(TaskState.RUNNING)
    task.process(message("p.executions", 0, 4, b"e1", b'{"n": 1000, "record": true}'), "executions")
    assert task.store.get("e1") == {
        "failed": "OutputTooLarge: output to out is 6 bytes, over the topic's max.message.bytes of 3"
    }
    assert [r["topic"] for r in raw.records] == ["p.errors"]


def test_a_failure_that_cannot_be_recorded_either_is_dead_lettered_once_without_a_trace() -> None:
    task, raw, _ = _task()
    _start(task)
    value = b'{"n": -1, "record": "raise"}'
    task.process(message("p.executions", 2, 9, b"e1", value), "executions")
    [letter] = raw.records
    assert letter["topic"] == "p.dead-letters" and letter["value"] == value
    assert "ValueError: negative" in dict(letter["headers"])["harrier.dlq.error"].decode()
    assert len(task.store) == 0 and not task.store.dirty
