"""The API's bodies against Kestra's own client models (kestrapy 2.0.3, Kestra's generated SDK).

kestrapy's ``State`` marks ``getDuration``, ``getStartDate`` and ``getEndDate`` required: an
artifact of its generator, which read Kestra's ``@JsonProperty(access = READ_ONLY)`` getters
(``core/src/main/java/io/kestra/core/models/flows/State.java``: ``getDuration()``,
``getStartDate()``, ``getEndDate()``) as fields of those names. Jackson writes them as
``duration``, ``startDate`` and ``endDate``, which is what Kestra's API answers and what
Harrier renders; ``kestra_view`` copies them under the generator's names before validating,
and the client itself falls back to an unvalidated model when ``from_dict`` refuses a body.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

pytest.importorskip("kestrapy")

from kestrapy.models.cursor_or_offset_paged_results_log_entry import CursorOrOffsetPagedResultsLogEntry  # noqa: E402
from kestrapy.models.execution import Execution as KestraExecution  # noqa: E402
from kestrapy.models.execution_controller_execution_response import ExecutionControllerExecutionResponse  # noqa: E402
from kestrapy.models.flow_with_source import FlowWithSource  # noqa: E402
from kestrapy.models.log_entry import LogEntry  # noqa: E402
from kestrapy.models.paged_results_flow import PagedResultsFlow  # noqa: E402

from harrier.core.executions import Attempt, Execution, StateChange, TaskRun  # noqa: E402
from harrier.core.logbatches import split_batch  # noqa: E402
from harrier.core.messages import CreateExecution, FlowRecord, LogBatch, ParentRef  # noqa: E402
from harrier.core.states import State  # noqa: E402
from harrier.core.tasks.base import LogLevel  # noqa: E402
from harrier.core.validation import parse_flow  # noqa: E402
from harrier.indexer.documents import execution_document  # noqa: E402
from harrier.webserver.kestra import (  # noqa: E402
    created_body,
    execution_body,
    execution_hit_body,
    flow_body,
    log_entry_body,
    paged_body,
    utc,
)

T0 = datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=timezone.utc)
NOW = T0 + timedelta(minutes=5)
EXAMPLES = Path(__file__).parents[3] / "examples"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def finished_execution() -> Execution:
    """Two task runs, the first retried once, a ForEach iteration, a parent and a trigger."""
    first = TaskRun(
        id="tr1", task_id="flaky", state=State.SUCCESS,
        history=(StateChange(state=State.CREATED, at=at(0)), StateChange(state=State.RUNNING, at=at(0.1)),
                 StateChange(state=State.SUCCESS, at=at(2.5))),
        attempts=(Attempt(number=1, state=State.FAILED, started_at=at(0.1), ended_at=at(1), error="exit 1"),
                  Attempt(number=2, state=State.SUCCESS, started_at=at(1.5), ended_at=at(2.5))),
        outputs={"exitCode": 0},
    )
    second = TaskRun(
        id="tr2", task_id="each", parent_task_run_id="tr1", value={"n": 1}, iteration=(0, 2),
        state=State.SUCCESS,
        history=(StateChange(state=State.CREATED, at=at(2.6)), StateChange(state=State.SUCCESS, at=at(3))),
    )
    return Execution(
        id="e1", namespace="company.team", flow_id="hello", flow_revision=3, state=State.SUCCESS,
        history=(StateChange(state=State.CREATED, at=at(0)), StateChange(state=State.RUNNING, at=at(0.05)),
                 StateChange(state=State.SUCCESS, at=at(3.123))),
        inputs={"size": 3}, labels={"team": "data"}, trigger={"id": "hook", "type": "io.kestra.plugin.core.trigger.Webhook", "body": None},
        parent=ParentRef(execution_id="p1", task_run_id="ptr", namespace="company", flow_id="parent"),
        task_runs=(first, second), outputs={"result": 42}, created_at=at(0), ended_at=at(3.123),
    )


def snapshot(execution: Execution) -> dict[str, Any]:
    return orjson.loads(execution.to_json())


def kestra_view(body: Any) -> Any:
    """``body`` with each State's fields also under kestrapy's generated names (see above)."""
    if isinstance(body, list):
        return [kestra_view(item) for item in body]
    if not isinstance(body, dict):
        return body
    viewed = {key: kestra_view(value) for key, value in body.items()}
    if "current" in viewed and "histories" in viewed:
        viewed.update(getDuration=viewed["duration"], getStartDate=viewed["startDate"],
                      getEndDate=viewed["endDate"] or viewed["startDate"])
    return viewed


def flow_view(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with numeric and boolean input ``defaults`` as text: kestrapy's PropertyObject
    admits an object or a string only, where a flow's YAML (and Harrier's body) has ``10``."""
    inputs = [
        {**item, "defaults": str(item["defaults"])} if isinstance(item.get("defaults"), (int, float, bool)) else item
        for item in body.get("inputs") or []
    ]
    return {**body, "inputs": inputs}


def test_a_finished_execution_is_a_valid_kestra_execution_with_its_values() -> None:
    body = execution_body(snapshot(finished_execution()), NOW)
    parsed = KestraExecution.from_dict(kestra_view(body))
    assert parsed is not None
    assert (parsed.id, parsed.namespace, parsed.flow_id, parsed.flow_revision) == ("e1", "company.team", "hello", 3)
    assert parsed.state.current.value == "SUCCESS"
    assert [h.state.value for h in parsed.state.histories] == ["CREATED", "RUNNING", "SUCCESS"]
    assert body["state"]["startDate"] == "2026-12-03T10:00:00.123456Z"
    assert body["state"]["endDate"] == "2026-12-03T10:00:03.246456Z"
    assert body["state"]["duration"] == "PT3.123S"
    assert parsed.parent_id == "p1" and body["parentTaskRunId"] == "ptr"
    assert parsed.original_id == "e1" and parsed.deleted is False
    assert parsed.metadata.attempt_number == 1
    assert [(label.key, label.value) for label in parsed.labels] == [("team", "data")]
    assert (parsed.trigger.id, parsed.trigger.variables) == ("hook", {"body": None})
    assert parsed.inputs == {"size": 3} and body["outputs"] == {"result": 42}
    flaky, each = parsed.task_run_list
    assert (flaky.execution_id, flaky.namespace, flaky.flow_id, flaky.task_id) == ("e1", "company.team", "hello", "flaky")
    assert [a.state.current.value for a in flaky.attempts] == ["FAILED", "SUCCESS"]
    assert body["taskRunList"][0]["attempts"][0]["error"] == "exit 1"
    assert body["taskRunList"][0]["outputs"] == {"exitCode": 0}
    assert each.parent_task_run_id == "tr1" and each.value == '{"n":1}'
    assert body["taskRunList"][1]["iterationPath"] == [0, 2]


def test_a_running_execution_has_no_end_date_and_lasts_until_now() -> None:
    running = finished_execution().replace(
        state=State.RUNNING, history=(StateChange(state=State.RUNNING, at=at(0)),), ended_at=None, task_runs=(),
    )
    body = execution_body(snapshot(running), NOW)
    assert KestraExecution.from_dict(kestra_view(body)) is not None
    assert body["state"]["endDate"] is None
    assert body["state"]["duration"] == "PT5M"


def test_a_restarted_execution_counts_its_attempts() -> None:
    history = (StateChange(state=State.RUNNING, at=at(0)), StateChange(state=State.FAILED, at=at(1)),
               StateChange(state=State.RUNNING, at=at(2)), StateChange(state=State.SUCCESS, at=at(3)))
    body = execution_body(snapshot(finished_execution().replace(history=history, error=None)), NOW)
    assert body["metadata"]["attemptNumber"] == 2


def test_a_create_answers_a_created_kestra_execution() -> None:
    command = CreateExecution(execution_id="e2", namespace="ns", flow_id="f", revision=2, inputs={"a": "b"},
                              labels={"k": "v"}, created_at=T0)
    body = created_body(command, NOW)
    parsed = ExecutionControllerExecutionResponse.from_dict(kestra_view(body))
    assert parsed is not None
    assert (parsed.id, parsed.state.current.value, parsed.flow_revision) == ("e2", "CREATED", 2)
    assert body["metadata"]["originalCreatedDate"] == "2026-12-03T10:00:00.123456Z"


def test_search_hits_are_kestra_executions_in_paged_results() -> None:
    document = execution_document(snapshot(finished_execution()), "e1", 0)
    # The search leaves the task runs out of the snapshot it returns.
    document["execution"].pop("task_runs")
    full = execution_hit_body(document, NOW)
    summary_only = execution_hit_body({key: value for key, value in document.items() if key != "execution"}, NOW)
    page = paged_body([full, summary_only], 2, "cursor")
    for result in page["results"]:
        parsed = KestraExecution.from_dict(kestra_view(result))
        assert parsed is not None and parsed.state.current.value == "SUCCESS"
    assert full["state"]["histories"] == execution_body(snapshot(finished_execution()), NOW)["state"]["histories"]
    assert [h["state"] for h in summary_only["state"]["histories"]] == ["CREATED", "SUCCESS"]
    assert "taskRunList" not in full and "outputs" not in full and full["inputs"] == {"size": 3}
    assert (page["total"], page["nextCursor"]) == (2, "cursor")


def test_log_lines_are_kestra_log_entries() -> None:
    batch = LogBatch(
        execution_id="e1", namespace="ns", flow_id="f", task_id="t", task_run_id="tr1", attempt=1,
        timestamps=[at(1), at(2)], levels=[LogLevel.INFO, LogLevel.ERROR], messages=["hello", "it broke"],
    )
    lines = [{**line, "offset": 7, "line": index} for index, line in enumerate(split_batch(batch.model_dump(mode="json")))]
    bodies = [log_entry_body(line) for line in lines]
    parsed = [LogEntry.from_dict(body) for body in bodies]
    assert [(p.execution_id, p.task_run_id, p.task_id, p.attempt_number) for p in parsed] == [("e1", "tr1", "t", 0)] * 2
    assert [p.level.value for p in parsed] == ["INFO", "ERROR"]
    assert [p.message for p in parsed] == ["hello", "it broke"]
    assert bodies[1]["timestamp"] == "2026-12-03T10:00:02.123456Z"
    assert [(b["offset"], b["line"]) for b in bodies] == [(7, 0), (7, 1)]
    searched = CursorOrOffsetPagedResultsLogEntry.from_dict({**paged_body(bodies, 2, None), "type": "OFFSET"})
    assert searched is not None and len(searched.results) == 2


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yml")), ids=lambda p: p.name)
def test_every_example_flow_is_a_kestra_flow_with_source(path: Path) -> None:
    source = path.read_text()
    flow = parse_flow(source, file=path.name)
    body = flow_body(FlowRecord(namespace=flow.namespace, id=flow.id, revision=4, source=source), flow, NOW)
    parsed = FlowWithSource.from_dict(flow_view(body))
    assert parsed is not None
    assert (parsed.id, parsed.namespace, parsed.revision, parsed.source) == (flow.id, flow.namespace, 4, source)
    assert (parsed.disabled, parsed.deleted, parsed.draft) == (flow.disabled, False, False)
    assert [task.id for task in parsed.tasks] == [task.id for task in flow.tasks]
    assert PagedResultsFlow.from_dict({"results": [flow_view(body)], "total": 1}) is not None


def test_a_schedule_trigger_carries_its_next_fire_time_and_labels_are_listed() -> None:
    source = (
        "id: s\nnamespace: ns\nlabels:\n  team: data\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: hi\ntriggers:\n  - id: hourly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 * * * *'\n"
    )
    flow = parse_flow(source, file="s.yml")
    body = flow_body(FlowRecord(namespace="ns", id="s", revision=1, source=source), flow, NOW)
    assert body["labels"] == [{"key": "team", "value": "data"}]
    assert body["triggers"][0]["cron"] == "0 * * * *"
    assert body["triggers"][0]["nextDate"] == "2026-12-03T11:00:00Z"


def test_an_unparsable_source_is_still_a_flow_with_its_source() -> None:
    body = flow_body(FlowRecord(namespace="ns", id="old", revision=2, source="id: old\n"), None, NOW)
    assert {key: body[key] for key in ("id", "namespace", "revision", "source", "disabled", "deleted")} == {
        "id": "old", "namespace": "ns", "revision": 2, "source": "id: old\n", "disabled": False, "deleted": False,
    }


def test_utc_turns_any_zone_into_z() -> None:
    assert utc("2026-12-03T12:00:00+02:00") == "2026-12-03T10:00:00Z"
    assert utc(None) is None
