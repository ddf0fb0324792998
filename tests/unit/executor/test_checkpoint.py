"""Checkpoint: the numbered commit steps, in order, and empty intervals skipped."""

from __future__ import annotations

from confluent_kafka import TopicPartition
from runtime_fakes import Adder, GroupConsumer, RawProducer, message

from harrier.executor.checkpoint import Checkpoint
from harrier.executor.sink import RecordSink
from harrier.executor.tasks import StreamTask, TaskState
from harrier.topics.transactions import TransactionalProducer


class Tasks:
    """The part of TaskManager a checkpoint uses."""

    def __init__(self, tasks: list[StreamTask]) -> None:
        self.tasks = tasks

    def running(self) -> list[StreamTask]:
        return self.tasks


def _inputs(partition: int) -> list[TopicPartition]:
    return [TopicPartition(f"p.{name}", partition) for name in ("executions", "worker-results")]


def _setup() -> tuple[RawProducer, GroupConsumer, StreamTask, StreamTask, Checkpoint]:
    raw = RawProducer()
    producer = TransactionalProducer(raw, "tx")
    sink = RecordSink(producer, "p.", "p.dead-letters")
    running = StreamTask(0, _inputs(0), Adder(), sink, "p.execution-states")
    running.transition(TaskState.RUNNING)
    # Running too, but nothing read from it yet: no position to commit.
    unread = StreamTask(1, _inputs(1), Adder(), sink, "p.execution-states")
    unread.transition(TaskState.RUNNING)
    consumer = GroupConsumer({("p.executions", 0): 11})
    tasks = Tasks([running, unread])
    checkpoint = Checkpoint(producer, consumer, tasks, sink)  # type: ignore[arg-type]
    return raw, consumer, running, unread, checkpoint


def test_a_new_checkpoint_begins_a_transaction_and_is_empty() -> None:
    raw, _, _, _, checkpoint = _setup()
    assert raw.calls == [("begin", None)]
    assert checkpoint.empty


def test_commit_writes_changelog_then_offsets_then_commits_then_cleans() -> None:
    raw, _, running, _, checkpoint = _setup()
    running.process(message("p.executions", 0, 10, b"e1", b'{"n": 1}'), "executions")
    checkpoint.records += 1
    assert not checkpoint.empty
    checkpoint.commit()
    assert raw.calls == [
        ("begin", None),
        ("produce", "p.out"),
        ("produce", "p.execution-states"),
        # Only partitions with a known position: nothing was read from partition 1.
        ("send_offsets", [("p.executions", 0, 11)]),
        ("commit", None),
    ]
    assert not running.store.dirty


def test_a_timer_only_interval_is_not_empty() -> None:
    _, _, running, _, checkpoint = _setup()
    running.store.begin()
    running.store.put("e1", {"total": 1})
    running.store.complete()
    assert not checkpoint.empty


def test_abort_aborts_the_transaction() -> None:
    raw, _, _, _, checkpoint = _setup()
    checkpoint.abort()
    assert raw.calls[-1] == ("abort", None)
