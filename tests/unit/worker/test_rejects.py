"""Records the worker cannot use: a FAILED result when the task run is known, kill memory."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harrier.core.states import State
from harrier.topics.records import WORKER_TASK
from harrier.worker.attempts import salvage_result
from harrier.worker.controls import RecentKills


def test_an_identifiable_record_gets_a_failed_result_naming_the_task(make_record: Any) -> None:
    body = json.loads(WORKER_TASK.encode(make_record({"id": "fetch", "type": "Log", "message": "m"})))
    del body["data"]["created_at"]
    result = salvage_result(json.dumps(body).encode(), "data.created_at: Field required")
    assert result is not None
    assert (result.execution_id, result.task_run_id, result.attempt, result.state) == ("exec-1", "run-1", 1, State.FAILED)
    assert result.error == "task 'fetch': the worker task could not be read: data.created_at: Field required"


@pytest.mark.parametrize("value", [None, b"garbage", b'{"v": 1, "type": "worker-task", "data": {"task_id": "x"}}', b'{"v": 1, "type": "worker-task", "data": {"execution_id": "e", "task_run_id": "r", "task_id": "t", "attempt": "one"}}'])
def test_unidentifiable_records_get_none(value: bytes | None) -> None:
    assert salvage_result(value, "bad") is None


def test_recent_kills_are_bounded_and_expire() -> None:
    kills = RecentKills(max_entries=2, ttl_s=60)
    for run_id in ("a", "b", "c"):
        kills.add(run_id)
    assert "a" not in kills
    assert "b" in kills and "c" in kills
    expiring = RecentKills(ttl_s=-1)
    expiring.add("x")
    assert "x" not in expiring
