"""ChangelogRestorer against an in-memory changelog: replay, tombstones, empty partitions, stalls."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace

import orjson
import pytest
from confluent_kafka import IsolationLevel, Message, TopicPartition
from confluent_kafka.admin import OffsetSpec
from runtime_fakes import Adder, message

from harrier.executor.exceptions import StoreError
from harrier.executor.restore import ChangelogRestorer
from harrier.executor.tasks import StreamTask, TaskState

TOPIC = "p.states"


class Changelog:
    """A restore consumer over fixed partitions: ``records[p]`` is [(key, value)], offsets from 0."""

    def __init__(
        self, records: dict[int, list[tuple[bytes, bytes | None]]], deliver: bool = True, unstable: int = 0
    ) -> None:
        self.records = records
        # The last ``unstable`` records of each partition belong to a committed transaction
        # whose markers are not written yet: the first fetch stops before them (at the last
        # stable offset).
        self.unstable = unstable
        self.deliver = deliver
        self.assigned: list[int] = []
        self.positions: dict[int, int] = {}
        self.closed = False

    def assign(self, tps: list[TopicPartition]) -> None:
        self.assigned = [tp.partition for tp in tps]

    def close(self) -> None:
        self.closed = True

    def consume(self, count: int, timeout: float) -> list[Message]:
        if not self.deliver:
            return []
        batch = []
        for partition in self.assigned:
            start, stable = self.positions.get(partition, 0), len(self.records[partition]) - self.unstable
            for offset, (key, value) in enumerate(self.records[partition][start:stable], start):
                batch.append(message(TOPIC, partition, offset, key, value))
            self.positions[partition] = stable
        self.unstable = 0  # the markers are written by the next fetch
        return batch

    def position(self, tps: list[TopicPartition]) -> list[TopicPartition]:
        return [TopicPartition(tp.topic, tp.partition, self.positions.get(tp.partition, -1001)) for tp in tps]


class Admin:
    """Answers offset queries from the changelog's records (earliest 0, latest the high
    watermark) and records the isolation level asked for."""

    def __init__(self, changelog: Changelog) -> None:
        self._changelog = changelog
        self.isolation: list[object] = []

    def list_offsets(self, specs: dict[TopicPartition, object], isolation_level: object, request_timeout: float) -> dict:
        self.isolation.append(isolation_level)
        result = {}
        for tp, spec in specs.items():
            done: Future = Future()
            latest = len(self._changelog.records.get(tp.partition, []))
            done.set_result(SimpleNamespace(offset=0 if isinstance(spec, type(OffsetSpec.earliest())) else latest))
            result[tp] = done
        return result


def _restorer(changelog: Changelog, **options: float) -> tuple[ChangelogRestorer, Admin]:
    admin = Admin(changelog)
    return ChangelogRestorer(lambda: changelog, TOPIC, admin, **options), admin  # type: ignore[arg-type]


def _task(partition: int) -> StreamTask:
    return StreamTask(partition, [TopicPartition("p.executions", partition)], Adder(), None, TOPIC)  # type: ignore[arg-type]


def _state(total: int) -> bytes:
    return orjson.dumps({"total": total, "due": None})


def test_every_task_is_running_with_its_latest_states_when_restore_returns() -> None:
    changelog = Changelog({0: [(b"a", _state(1)), (b"a", _state(2)), (b"b", _state(5)), (b"b", None)], 1: [(b"c", _state(3))]})
    tasks = [_task(0), _task(1)]
    restorer, admin = _restorer(changelog)
    restorer.restore(tasks)
    assert [task.state for task in tasks] == [TaskState.RUNNING, TaskState.RUNNING]
    assert tasks[0].store.get("a") == {"total": 2, "due": None} and tasks[0].store.get("b") is None
    assert tasks[1].store.get("c") == {"total": 3, "due": None}
    assert changelog.assigned == [0, 1] and changelog.closed
    # The end is the high watermark, not the last stable offset: a transaction whose markers
    # are still being written must be waited for, not missed.
    assert admin.isolation == [IsolationLevel.READ_UNCOMMITTED] * 2


def test_a_transaction_committed_just_before_the_restore_is_restored() -> None:
    # The previous owner committed in its revocation callback; its markers are on the way.
    changelog = Changelog({0: [(b"a", _state(1)), (b"a", _state(2))]}, unstable=1)
    task = _task(0)
    _restorer(changelog)[0].restore([task])
    assert task.store.get("a") == {"total": 2, "due": None}


def test_an_empty_changelog_partition_is_not_read() -> None:
    changelog = Changelog({})
    task = _task(3)
    _restorer(changelog)[0].restore([task])
    assert task.state is TaskState.RUNNING and len(task.store) == 0
    assert changelog.assigned == [] and not changelog.closed


def test_a_changelog_that_stops_moving_raises_and_leaves_the_task_restoring() -> None:
    changelog = Changelog({0: [(b"a", _state(1))]}, deliver=False)
    task = _task(0)
    with pytest.raises(StoreError, match=r"partitions \[0\]: nothing read for 0 s"):
        _restorer(changelog, stall_s=0.0)[0].restore([task])
    assert task.state is TaskState.RESTORING and changelog.closed
