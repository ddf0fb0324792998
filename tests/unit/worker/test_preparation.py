"""Preparing a WorkerTask: type resolution, rendering with its context, validation."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from harrier.core.registry import default_registry
from harrier.core.tasks import Log, Sleep
from harrier.worker.exceptions import TaskNotRunnable
from harrier.worker.preparation import build_variables, prepare


def test_kestra_alias_resolves_and_properties_render_with_the_context(make_record: Any) -> None:
    record = make_record(
        {"id": "hello", "type": "io.kestra.plugin.core.log.Log", "message": "Hi {{ inputs.name }} #{{ taskrun.value }}", "level": "WARN"},
        context={"inputs": {"name": "Ada"}},
        value="7",
    )
    ready = prepare(record, default_registry())
    assert isinstance(ready.task, Log)
    assert ready.task.message == "Hi Ada #7"
    assert ready.is_async is False


def test_variables_derived_from_the_record_and_context_wins(make_record: Any) -> None:
    record = make_record({"id": "t", "type": "Log", "message": "x"}, context={"execution": {"id": "exec-1", "startDate": "2026"}})
    variables = build_variables(record)
    assert variables["taskrun"] == {"id": "run-1", "value": None, "attemptsCount": 1}
    assert variables["flow"] == {"id": "flow", "namespace": "company.team", "revision": 3}
    assert variables["execution"] == {"id": "exec-1", "startDate": "2026"}


def test_single_expressions_keep_native_types_and_timeouts_become_durations(make_record: Any) -> None:
    ready = prepare(make_record({"id": "s", "type": "Sleep", "duration": "{{ d }}", "timeout": "PT2S"}, context={"d": "PT0.1S"}), default_registry())
    assert isinstance(ready.task, Sleep)
    assert ready.task.duration == timedelta(seconds=0.1)
    assert ready.timeout == timedelta(seconds=2)
    assert ready.is_async is True


def test_the_received_record_is_never_mutated(make_record: Any) -> None:
    task = {"id": "o", "type": "OutputValues", "values": {"a": "{{ inputs.x }}", "nested": [{"b": "{{ inputs.x * 2 }}"}]}}
    context = {"inputs": {"x": 2}}
    record = make_record(task, context)
    before = copy.deepcopy(record.model_dump())
    ready = prepare(record, default_registry())
    assert ready.task.values == {"a": 2, "nested": [{"b": 4}]}
    assert record.model_dump() == before


@pytest.mark.parametrize(
    ("task", "cause"),
    [
        ({"id": "x"}, "has no 'type'"),
        ({"id": "x", "type": "io.kestra.plugin.core.log.Logg", "message": "m"}, "unknown task type 'io.kestra.plugin.core.log.Logg' \\(did you mean 'io.kestra.plugin.core.log.Log'\\?\\)"),
        ({"id": "x", "type": "If", "condition": "true", "then": [{"id": "y", "type": "Log", "message": "m"}]}, "flowable task"),
        ({"id": "x", "type": "Log", "message": "{{ missing.value }}"}, "property message: .*missing"),
        ({"id": "x", "type": "Log", "message": "m", "colour": "red"}, "property colour"),
        ({"id": "x", "type": "Sleep"}, "property duration: Field required"),
    ],
)
def test_unrunnable_tasks_name_the_cause(task: dict, cause: str, make_record: Any) -> None:
    with pytest.raises(TaskNotRunnable, match=cause):
        prepare(make_record(task), default_registry())
