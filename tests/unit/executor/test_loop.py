"""StreamLoop phases against in-memory clients: process, commit, skip, abort."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition
from runtime_fakes import Adder, RawProducer, message

from harrier.executor.assignment import TaskManager
from harrier.executor.loop import StreamLoop
from harrier.executor.rebalance import RebalanceListener
from harrier.executor.sink import RecordSink
from harrier.executor.tasks import StreamTask, TaskState
from harrier.topics.exceptions import TransactionAbortable
from harrier.topics.transactions import TransactionalProducer


class Consumer:
    """Hands out queued messages; positions follow what it handed out, like librdkafka."""

    def __init__(self) -> None:
        self.queue: list[Message] = []
        self.positions: dict[tuple[str, int], int] = {}
        # Committed offsets; none until a test sets them.
        self.commits: dict[tuple[str, int], int] = {}
        self.calls: list[tuple[str, Any]] = []

    def poll(self, timeout: float) -> Message | None:
        return self._take(1)[0] if self.queue else None

    def consume(self, count: int, timeout: float) -> list[Message]:
        return self._take(count)

    def _take(self, count: int) -> list[Message]:
        taken, self.queue = self.queue[:count], self.queue[count:]
        for m in taken:
            self.positions[m.topic(), m.partition()] = m.offset() + 1
        return taken

    def position(self, tps: list[TopicPartition]) -> list[TopicPartition]:
        known = self.positions
        return [
            TopicPartition(tp.topic, tp.partition, known.get((tp.topic, tp.partition), -1001))
            for tp in tps
        ]

    def committed(self, tps: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [TopicPartition(tp.topic, tp.partition, self.commits.get((tp.topic, tp.partition), -1001)) for tp in tps]

    def consumer_group_metadata(self) -> str:
        return "metadata"

    def seek(self, tp: TopicPartition) -> None:
        self.calls.append(("seek", (tp.topic, tp.partition, tp.offset)))
        if tp.offset >= 0:
            self.positions[tp.topic, tp.partition] = tp.offset

    def pause(self, tps: list[TopicPartition]) -> None:
        self.calls.append(("pause", sorted(tp.partition for tp in tps)))

    def resume(self, tps: list[TopicPartition]) -> None:
        self.calls.append(("resume", sorted(tp.partition for tp in tps)))


class Restorer:
    """Restores instantly, recording which partitions it restored."""

    def __init__(self) -> None:
        self.restored: list[int] = []

    def restore(self, tasks: list[StreamTask]) -> None:
        for task in tasks:
            self.restored.append(task.partition)
            task.transition(TaskState.RUNNING)


def _loop(interval_ms: int = 0) -> tuple[StreamLoop, Consumer, RawProducer, TaskManager]:
    consumer, raw = Consumer(), RawProducer()
    producer = TransactionalProducer(raw, "tx")
    sink = RecordSink(producer, "p.", "p.dead-letters")
    sources = {"p.executions": "executions", "p.worker-results": "worker-results"}
    tasks = TaskManager(sources, "p.states", Adder(), sink, Restorer())  # type: ignore[arg-type]
    loop = StreamLoop(
        consumer, producer, tasks, sink, 25, interval_ms  # type: ignore[arg-type]
    )
    return loop, consumer, raw, tasks


def _assign(tasks: TaskManager, *partitions: int) -> None:
    topics = ("p.executions", "p.worker-results")
    tasks.assign([TopicPartition(topic, p) for p in partitions for topic in topics])


def _one_iteration(loop: StreamLoop) -> None:
    # The phases of one run() iteration (run() itself loops until stop()).
    messages = loop._poll()
    if messages:
        loop._process(messages)
    loop._punctuate()
    loop._maybe_commit()


def test_records_are_processed_and_committed_with_their_offsets() -> None:
    loop, consumer, raw, tasks = _loop()
    _assign(tasks, 0, 1)
    consumer.queue = [
        message("p.executions", 0, 5, b"a", b'{"n": 1}'),
        message("p.worker-results", 1, 9, b"b", b'{"n": 2}'),
    ]
    _one_iteration(loop)
    assert raw.calls == [
        ("begin", None),
        ("produce", "p.out"),
        ("produce", "p.out"),
        ("produce", "p.states"),
        ("produce", "p.states"),
        ("send_offsets", [("p.executions", 0, 6), ("p.worker-results", 1, 10)]),
        ("commit", None),
        ("begin", None),
    ]


def test_an_idle_interval_commits_nothing() -> None:
    loop, _, raw, tasks = _loop()
    _assign(tasks, 0)
    _one_iteration(loop)
    _one_iteration(loop)
    assert raw.calls == [("begin", None)]


def test_records_of_a_partition_not_owned_are_neither_processed_nor_committed() -> None:
    loop, consumer, raw, tasks = _loop()
    _assign(tasks, 0)
    # Fetched before partition 1 was revoked: not ours to process or commit.
    consumer.queue = [message("p.executions", 1, 7, b"b", b'{"n": 1}'), message("p.executions", 0, 3, b"a", b'{"n": 1}')]
    _one_iteration(loop)
    sent = next(offsets for call, offsets in raw.calls if call == "send_offsets")
    assert sent == [("p.executions", 0, 4)]
    assert tasks.tasks[0].store.get("a") == {"total": 1, "due": None} and 1 not in tasks.tasks


def test_an_abortable_commit_aborts_and_raises_so_the_process_restarts_from_the_last_commit() -> None:
    loop, consumer, raw, tasks = _loop()
    _assign(tasks, 0)
    error = KafkaError(KafkaError._STATE, "txn failed", txn_requires_abort=True)

    def failing_commit(timeout: float) -> None:
        raise KafkaException(error)

    raw.commit_transaction = failing_commit  # type: ignore[method-assign]
    consumer.queue = [message("p.executions", 0, 5, b"a", b'{"n": 1}')]
    with pytest.raises(TransactionAbortable, match="txn failed"):
        _one_iteration(loop)
    assert ("abort", None) in raw.calls
    # Nothing is rewound in place: no pause, seek or resume of an input that a rebalance
    # could take away meanwhile (librdkafka then left partitions unfetched).
    assert consumer.calls == []


def test_lost_partitions_abort_the_interval_and_drop_every_task() -> None:
    loop, consumer, raw, tasks = _loop()
    _assign(tasks, 0, 1)
    consumer.queue = [message("p.executions", 0, 5, b"a", b'{"n": 1}')]
    loop._process(loop._poll())
    lost = [TopicPartition(t, p) for p in (0, 1) for t in ("p.executions", "p.worker-results")]
    RebalanceListener(tasks, loop).on_lost(consumer, lost)  # type: ignore[arg-type]
    assert ("abort", None) in raw.calls and ("commit", None) not in raw.calls
    assert tasks.tasks == {} and consumer.calls == []


def test_stop_ends_run_after_a_final_commit() -> None:
    loop, consumer, raw, tasks = _loop(interval_ms=60_000)
    _assign(tasks, 0)
    consumer.queue = [message("p.executions", 0, 5, b"a", b'{"n": 1}')]
    original = loop._punctuate

    def punctuate_then_stop() -> None:
        original()
        loop.stop()

    loop._punctuate = punctuate_then_stop  # type: ignore[method-assign]
    loop.run()
    assert raw.calls[-2:] == [("commit", None), ("begin", None)]


def test_a_halted_loop_never_commits() -> None:
    loop, consumer, raw, tasks = _loop()
    _assign(tasks, 0)
    consumer.queue = [message("p.executions", 0, 5, b"a", b'{"n": 1}')]
    loop._process(loop._poll())
    loop.halt()
    loop.commit()
    loop.abort()
    assert ("commit", None) not in raw.calls and ("abort", None) not in raw.calls


def test_assignment_restores_every_task_before_it_returns() -> None:
    loop, consumer, raw, tasks = _loop()
    _assign(tasks, 0, 1)
    assert tasks.restorer.restored == [0, 1]  # type: ignore[attr-defined]
    assert all(task.state is TaskState.RUNNING for task in tasks.tasks.values())
