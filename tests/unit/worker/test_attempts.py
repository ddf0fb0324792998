"""Attempt wrappers: every way a run can end becomes one WorkerResult, never an exception."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, ClassVar

import pytest

from harrier.core.registry import Registry, default_registry
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel, Task
from harrier.worker.attempts import Attempt, run_async, run_blocking
from harrier.worker.logs import FileLog
from harrier.worker.preparation import prepare


def attempt_for(prepared: Any, task: dict, context: dict | None = None, *, to_file: bool = False) -> tuple[Attempt, Any]:
    ready, fake = prepared(task, context)
    attempt = Attempt(fake.record, prepared=ready, context=fake.context, started_at=datetime.now(timezone.utc))
    if to_file:
        attempt.file_log = FileLog()
        fake.context.logger._write = attempt.file_log.write
    return attempt, fake


def test_success_carries_outputs_and_times(prepared: Any) -> None:
    attempt, _ = attempt_for(prepared, {"id": "o", "type": "OutputValues", "values": {"a": 1}})
    result = run_blocking(attempt)
    assert (result.state, result.outputs, result.error) == (State.SUCCESS, {"values": {"a": 1}}, None)
    assert (result.execution_id, result.task_run_id, result.attempt) == ("exec-1", "run-1", 1)
    assert result.started_at <= result.ended_at


def test_task_failure_is_failed_naming_the_task_and_logged(prepared: Any) -> None:
    attempt, fake = attempt_for(prepared, {"id": "boom", "type": "Fail", "errorMessage": "no {{ x }}"}, {"x": "way"})
    result = run_blocking(attempt)
    assert result.state is State.FAILED
    assert result.error == "task 'boom': no way"
    assert fake.messages(LogLevel.ERROR) == ["task 'boom': no way"]


def test_warnings_end_in_warning(prepared: Any) -> None:
    attempt, fake = attempt_for(prepared, {"id": "sh", "type": "shell.Commands", "commands": ["echo hm >&2"]})
    result = run_blocking(attempt)
    assert result.state is State.WARNING
    assert result.outputs["exitCode"] == 0


def test_log_to_file_stores_the_lines_and_records_the_uri(prepared: Any) -> None:
    attempt, fake = attempt_for(prepared, {"id": "l", "type": "Log", "message": ["a", "b"], "logToFile": True}, to_file=True)
    result = run_blocking(attempt)
    assert result.outputs["logFile"] == "kestra:///company/team/flow/executions/exec-1/tasks/l/run-1/logs.txt"
    lines = fake.storage.get(result.outputs["logFile"]).decode().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["INFO a", "INFO b"]
    assert fake.logs == []


class Crashing(Task):
    """A third-party task with its own run method that has a bug."""

    type_name: ClassVar[str] = "test.Crashing"

    def run(self, context: Any) -> dict[str, Any]:
        return {"x": 1 / 0}


class Odd(Task):
    """A third-party async task returning something JSON cannot hold natively."""

    type_name: ClassVar[str] = "test.Odd"

    async def run(self, context: Any) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"when": datetime(2026, 1, 2, tzinfo=timezone.utc), "obj": object()}


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    for cls in default_registry().classes():
        registry.register(cls)
    registry.register(Crashing)
    registry.register(Odd)
    return registry


def test_third_party_run_methods_and_crashes(registry: Registry, make_record: Any, fake_run: Any) -> None:
    record = make_record({"id": "c", "type": "test.Crashing"})
    ready = prepare(record, registry)
    fake = fake_run(record)
    result = run_blocking(Attempt(record, prepared=ready, context=fake.context))
    assert result.state is State.FAILED
    assert result.error == "task 'c': ZeroDivisionError: division by zero"

    record = make_record({"id": "o", "type": "test.Odd"})
    ready = prepare(record, registry)
    assert ready.is_async
    fake = fake_run(record)
    result = asyncio.run(run_async(Attempt(record, prepared=ready, context=fake.context)))
    assert result.state is State.SUCCESS
    assert result.outputs["when"] == "2026-01-02T00:00:00Z"
    assert result.outputs["obj"].startswith("<object object at")
