from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from scheduler_flows import flow_record

from harrier.core.messages import CreateExecution
from harrier.core.states import State
from harrier.scheduler.httppolls import HttpResponse
from harrier.scheduler.partition import Lock, Output, TriggerPartition
from harrier.scheduler.state import TRIGGER_STATE_SERDE
from harrier.scheduler.ticks import LatePolicy
from harrier.scheduler.upstream import ExecutionView

UTC = timezone.utc
T0 = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
EVERY_MINUTE = """  - id: minutely
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * *"
    inputs: {size: 3}
"""


def running(*records, now: datetime = T0, **kwargs) -> TriggerPartition:
    part = TriggerPartition(0, tolerance=timedelta(seconds=2), **kwargs)
    for record in records:
        part.stage_flow(record.uid, record)
    part.start(now)
    part.init_progress({0: 0})
    return part


def view(execution_id: str, state: State, *, flow_id: str = "up", namespace: str = "company.team",
         transitions: int = 4, outputs: dict | None = None) -> ExecutionView:
    return ExecutionView(execution_id, namespace, flow_id, 1, state, transitions, {"env": "prod"}, outputs, None)


def states_of(outputs: list[Output]) -> dict[str, object]:
    return {o.key: TRIGGER_STATE_SERDE.decode(o.value) for o in outputs if o.value and b'"trigger-state"' in o.value}


def test_schedule_fires_on_tick_with_trigger_variables_and_locks() -> None:
    part = running(flow_record("report", EVERY_MINUTE))
    assert part.next_due() == datetime(2026, 1, 1, 12, 1, tzinfo=UTC).timestamp()
    part.drain(with_progress=False)
    part.tick(datetime(2026, 1, 1, 12, 0, 59, tzinfo=UTC))
    assert part.drain(with_progress=False)[0] == []

    tick = datetime(2026, 1, 1, 12, 1, tzinfo=UTC)
    part.tick(tick + timedelta(milliseconds=300))
    executions, outputs = part.drain(with_progress=False)
    assert len(executions) == 1
    created: CreateExecution = executions[0]
    assert (created.namespace, created.flow_id, created.inputs) == ("company.team", "report", {"size": 3})
    assert created.trigger == {
        "id": "minutely", "type": "Schedule", "date": tick.isoformat(),
        "next": (tick + timedelta(minutes=1)).isoformat(), "previous": (tick - timedelta(minutes=1)).isoformat(),
    }
    state = states_of(outputs)["company.team/report/minutely"]
    assert state.execution_id == created.execution_id and state.next_date == tick + timedelta(minutes=1)
    assert all(o.partition == 0 and o.topic == "triggers" for o in outputs)

    # Locked: the next tick waits for the execution to end.
    part.tick(tick + timedelta(minutes=1))
    assert part.drain(with_progress=False)[0] == []
    part.on_execution(0, 0, view(created.execution_id, State.SUCCESS, flow_id="report"), created.execution_id, tick + timedelta(minutes=1, seconds=1))
    part.tick(tick + timedelta(minutes=1, seconds=1))
    executions, _ = part.drain(with_progress=False)
    assert [e.trigger["date"] for e in executions] == [(tick + timedelta(minutes=1)).isoformat()]


def test_same_tick_gives_the_same_execution_id() -> None:
    first, second = running(flow_record("report", EVERY_MINUTE)), running(flow_record("report", EVERY_MINUTE))
    at = datetime(2026, 1, 1, 12, 1, 0, 500_000, tzinfo=UTC)
    first.tick(at)
    second.tick(at)
    assert first.drain(with_progress=False)[0][0].execution_id == second.drain(with_progress=False)[0][0].execution_id


def test_restart_restores_without_parsing_and_keeps_next_date(monkeypatch: pytest.MonkeyPatch) -> None:
    record = flow_record("report", EVERY_MINUTE)
    first = running(record)
    first.tick(datetime(2026, 1, 1, 12, 1, 0, 100_000, tzinfo=UTC))
    _, outputs = first.drain(with_progress=True)

    def no_parse(_record: object) -> list:
        raise AssertionError("the flow was parsed again although its revision is known")

    monkeypatch.setattr("harrier.scheduler.partition.declare_triggers", no_parse)
    restored = TriggerPartition(0, tolerance=timedelta(seconds=2))
    for output in outputs:
        restored.restore(output.key, output.value)
    restored.stage_flow(record.uid, record)
    restored.start(datetime(2026, 1, 1, 12, 1, 30, tzinfo=UTC))
    state = restored.states["company.team/report/minutely"]
    assert state.next_date == datetime(2026, 1, 1, 12, 2, tzinfo=UTC)
    assert restored.locked() == [Lock(state.uid, state.execution_id, datetime(2026, 1, 1, 12, 1, 0, 100_000, tzinfo=UTC))]
    assert restored.progress == {0: 0}


def test_restart_reconciles_new_revisions_and_deleted_flows_with_restored_states() -> None:
    hourly = """  - id: hourly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
"""
    first = running(flow_record("report", EVERY_MINUTE + hourly), flow_record("gone", EVERY_MINUTE))
    first.tick(datetime(2026, 1, 1, 12, 1, 0, 100_000, tzinfo=UTC))
    executions, outputs = first.drain(with_progress=True)
    locked = {e.flow_id: e.execution_id for e in executions}
    assert set(locked) == {"report", "gone"}

    restored = TriggerPartition(0, tolerance=timedelta(seconds=2))
    for output in outputs:
        restored.restore(output.key, output.value)
    # While it was down, "report" lost its minutely trigger and moved its hourly one to the half
    # hour, and "gone" was deleted (its tombstone compacted away, so it is simply not staged).
    restored.stage_flow("company.team/report", flow_record("report", hourly.replace('"0 *', '"30 *'), revision=2))
    restored.start(datetime(2026, 1, 1, 12, 1, 30, tzinfo=UTC))
    _, writes = restored.drain(with_progress=False)
    assert {o.key: o.value is None for o in writes if o.key != "~progress/0"} == {
        "company.team/report/minutely": True, "company.team/gone/minutely": True, "company.team/report/hourly": False,
    }
    assert list(restored.states) == ["company.team/report/hourly"]
    assert restored.flows == {"company.team/report": (2, ("hourly",))}
    # The locks of the dropped triggers went with them; the hourly trigger is due on its new cron.
    assert restored.locked() == []
    assert restored.next_due() == datetime(2026, 1, 1, 12, 30, tzinfo=UTC).timestamp()


def test_flows_checkpoint_rides_the_progress_record_and_is_trusted_only_while_young() -> None:
    first = running(flow_record("report", EVERY_MINUTE))
    first.flows_read(41)
    _, outputs = first.drain(with_progress=True, now=T0)

    def restored(now: datetime) -> tuple[TriggerPartition, int | None]:
        part = TriggerPartition(0, tolerance=timedelta(seconds=2))
        for output in outputs:
            part.restore(output.key, output.value)
        offset = part.flows_resume_offset(now, timedelta(hours=12))
        part.start(now)  # nothing staged: no flow record was read
        return part, offset

    # Young: read flows from offset 42 on; flows no record mentions keep their triggers.
    young, offset = restored(T0 + timedelta(hours=11))
    assert offset == 42 and list(young.states) == ["company.team/report/minutely"]
    # Old: read every flow record; a flow none mentions was deleted (its tombstone compacted).
    old, offset = restored(T0 + timedelta(hours=12))
    assert offset is None and list(old.states) == []


def test_an_idle_partition_rewrites_its_progress_hourly() -> None:
    part = running(flow_record("report", EVERY_MINUTE))
    assert [o.key for o in part.drain(with_progress=True, now=T0)[1]] == ["company.team/report/minutely", "~progress/0"]
    assert part.drain(with_progress=True, now=T0 + timedelta(minutes=59))[1] == []
    [output] = part.drain(with_progress=True, now=T0 + timedelta(hours=1))[1]
    assert output.key == "~progress/0" and part.checkpoint_at == T0 + timedelta(hours=1)


def test_new_revision_removes_dropped_triggers_and_keeps_schedule() -> None:
    part = running(flow_record("report", EVERY_MINUTE + """  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: abc
"""))
    part.drain(with_progress=False)
    part.apply_flow("company.team/report", flow_record("report", EVERY_MINUTE, revision=2), T0)
    _, outputs = part.drain(with_progress=False)
    assert {o.key: o.value is None for o in outputs} == {
        "company.team/report/minutely": False, "company.team/report/hook": True,
    }
    assert part.states["company.team/report/minutely"].revision == 2
    part.apply_flow("company.team/report", None, T0)
    _, outputs = part.drain(with_progress=False)
    assert [(o.key, o.value) for o in outputs] == [("company.team/report/minutely", None)]
    assert part.next_due() is None


def test_a_flow_without_triggers_is_remembered_by_a_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    bare = flow_record("bare", "  []\n")
    part = running(bare)
    _, outputs = part.drain(with_progress=False)
    assert [o.key for o in outputs] == ["company.team/bare", "~progress/0"]

    monkeypatch.setattr("harrier.scheduler.partition.declare_triggers", lambda _record: pytest.fail("parsed again"))
    restored = TriggerPartition(0, tolerance=timedelta(seconds=2))
    for output in outputs:
        restored.restore(output.key, output.value)
    restored.stage_flow(bare.uid, bare)
    restored.start(T0)
    assert restored.drain(with_progress=False) == ([], [])
    monkeypatch.undo()

    # Gaining triggers replaces the summary by states; losing them all brings it back.
    restored.apply_flow(bare.uid, flow_record("bare", EVERY_MINUTE, revision=2), T0)
    _, outputs = restored.drain(with_progress=False)
    assert {o.key: o.value is None for o in outputs} == {"company.team/bare/minutely": False, "company.team/bare": True}
    restored.apply_flow(bare.uid, flow_record("bare", "  []\n", revision=3), T0)
    _, outputs = restored.drain(with_progress=False)
    assert {o.key: o.value is None for o in outputs} == {"company.team/bare/minutely": True, "company.team/bare": False}


def test_missed_ticks_policy_none_skips_to_the_future() -> None:
    part = running(flow_record("report", EVERY_MINUTE.replace("    inputs", "    recoverMissedSchedules: NONE\n    inputs")))
    part.tick(T0 + timedelta(minutes=10))
    executions, outputs = part.drain(with_progress=False)
    assert executions == []
    assert states_of(outputs)["company.team/report/minutely"].next_date == datetime(2026, 1, 1, 12, 11, tzinfo=UTC)


def test_backfill_creates_one_execution_per_tick_without_lock() -> None:
    backfill = """    backfill:
      start: "2026-01-01T09:00:00Z"
      end: "2026-01-01T11:00:00Z"
      labels: {source: backfill}
"""
    part = running(flow_record("report", EVERY_MINUTE.replace("* * * * *", "0 * * * *") + backfill), backfill_batch=2)
    dates = []
    for step in range(3):
        part.tick(T0 + timedelta(seconds=step))
        executions, _ = part.drain(with_progress=False)
        dates += [(e.trigger["date"], e.trigger["backfill"], e.labels["source"]) for e in executions]
    assert dates == [(f"2026-01-01T{h}:00:00+00:00", True, "backfill") for h in ("09", "10", "11")]
    state = part.states["company.team/report/minutely"]
    assert state.backfill.done and state.execution_id is None


def test_flow_trigger_fires_once_per_terminal_state_with_upstream_variables() -> None:
    trigger = """  - id: after-up
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      day: "{{ trigger.outputs.day }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlowCondition
        namespace: company.team
        flowId: up
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS, WARNING]
"""
    part = running(flow_record("down", trigger))
    part.drain(with_progress=False)
    part.on_execution(0, 0, view("e1", State.RUNNING), "e1", T0)
    part.on_execution(0, 1, view("e1", State.SUCCESS, outputs={"day": "2026-01-01"}), "e1", T0)
    part.on_execution(0, 2, view("e1", State.SUCCESS, outputs={"day": "2026-01-01"}), "e1", T0)
    part.on_execution(0, 3, view("e2", State.FAILED), "e2", T0)
    part.on_execution(0, 4, view("e3", State.SUCCESS, flow_id="other"), "e3", T0)
    executions, outputs = part.drain(with_progress=False)
    assert len(executions) == 1
    assert executions[0].inputs == {"day": "2026-01-01"}
    assert executions[0].trigger["executionId"] == "e1" and executions[0].trigger["state"] == "SUCCESS"
    assert part.progress == {0: 5}
    assert [o.key for o in outputs] == ["~progress/0"]


def test_records_before_progress_are_ignored() -> None:
    part = running(flow_record("down", """  - id: any
    type: io.kestra.plugin.core.trigger.Flow
"""))
    part.init_progress({1: 10})
    part.on_execution(1, 9, view("old", State.SUCCESS), "old", T0)
    assert part.drain(with_progress=False)[0] == []
    part.on_execution(1, 10, view("new", State.SUCCESS), "new", T0)
    assert len(part.drain(with_progress=False)[0]) == 1


def test_stop_after_disables_the_trigger() -> None:
    part = running(flow_record("report", EVERY_MINUTE + "    stopAfter: [FAILED]\n"))
    part.tick(datetime(2026, 1, 1, 12, 1, 0, 1, tzinfo=UTC))
    created = part.drain(with_progress=False)[0][0]
    part.on_execution(0, 0, view(created.execution_id, State.FAILED, flow_id="report"), created.execution_id, T0)
    assert part.states["company.team/report/minutely"].disabled
    part.tick(T0 + timedelta(hours=1))
    assert part.drain(with_progress=False)[0] == [] and part.next_due() is None


def test_default_policy_applies_when_trigger_has_none() -> None:
    part = running(flow_record("report", EVERY_MINUTE), default_policy=LatePolicy.LAST)
    part.tick(T0 + timedelta(minutes=10))
    executions, _ = part.drain(with_progress=False)
    assert [e.trigger["date"] for e in executions] == ["2026-01-01T12:10:00+00:00"]


def test_schedule_conditions_skip_the_ticks_they_refuse_in_the_trigger_timezone() -> None:
    # Hourly in Paris, only on Mondays there: 2026-01-04 is a Sunday, 23:00 UTC is Monday 00:00 in Paris.
    part = running(flow_record("report", """  - id: hourly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
    timezone: Europe/Paris
    conditions:
      - type: io.kestra.plugin.core.condition.DayWeek
        dayOfWeek: MONDAY
"""), now=datetime(2026, 1, 4, 21, 30, tzinfo=UTC))
    part.tick(datetime(2026, 1, 4, 22, 0, 1, tzinfo=UTC))  # Sunday 23:00 in Paris: refused
    assert part.drain(with_progress=False)[0] == []
    assert part.next_due() == datetime(2026, 1, 4, 23, tzinfo=UTC).timestamp()  # no lock taken
    part.tick(datetime(2026, 1, 4, 23, 0, 1, tzinfo=UTC))
    [created] = part.drain(with_progress=False)[0]
    assert created.trigger["date"] == "2026-01-05T00:00:00+01:00"
    # As Kestra: previous and next are the nearest ticks the conditions accept.
    assert created.trigger["previous"] == "2025-12-29T23:00:00+01:00"
    assert created.trigger["next"] == "2026-01-05T01:00:00+01:00"


def test_flow_trigger_preconditions_wait_for_every_upstream_flow_in_the_trigger_state() -> None:
    part = running(flow_record("report", """  - id: both
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: ab
      flows:
        - {namespace: company.team, flowId: a, states: [SUCCESS]}
        - {namespace: company.team, flowId: b, states: [SUCCESS]}
"""))
    part.drain(with_progress=False)
    part.on_execution(0, 0, view("a1", State.SUCCESS, flow_id="a", outputs={"x": 1}), "a1", T0)
    executions, outputs = part.drain(with_progress=False)
    assert executions == []
    window = states_of(outputs)["company.team/report/both"].windows["ab"]
    assert window.results == {"condition_1": True} and window.outputs == {"x": 1}

    # A restart restores the window from the state record.
    restored = TriggerPartition(0, tolerance=timedelta(seconds=2))
    for output in outputs:
        restored.restore(output.key, output.value)
    restored.stage_flow("company.team/report", flow_record("report", "[]").model_copy(update={"revision": 1}))
    restored.start(T0)
    restored.on_execution(0, 1, view("b1", State.SUCCESS, flow_id="b", outputs={"y": 2}), "b1", T0)
    [created], outputs = restored.drain(with_progress=False)
    assert created.trigger["executionId"] == "b1" and created.trigger["outputs"] == {"x": 1, "y": 2}
    assert states_of(outputs)["company.team/report/both"].windows is None  # reset on success


def test_schedule_on_dates_fires_each_listed_date_once_in_its_timezone() -> None:
    part = running(flow_record("report", """  - id: dates
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    timezone: Europe/Paris
    recoverMissedSchedules: LAST
    inputs: {size: 1}
    dates:
      - "2026-01-01T12:00:00+00:00"
      - 2026-01-01T14:00:00
      - "2026-01-01T13:01:00Z"
      - "2026-01-01T13:02:00Z"
"""))
    part.drain(with_progress=False)
    assert part.next_due() == datetime(2026, 1, 1, 13, tzinfo=UTC).timestamp()  # 14:00 in Paris; 12:00 is past
    part.tick(datetime(2026, 1, 1, 13, 0, 1, tzinfo=UTC))
    [first], _ = part.drain(with_progress=False)
    assert first.trigger == {"id": "dates", "type": "ScheduleOnDates", "date": "2026-01-01T14:00:00+01:00"}
    assert first.inputs == {"size": 1} and part.next_due() is None  # locked until it ends
    # It ends at 13:05: of the two dates missed meanwhile, LAST fires the later one only.
    later = datetime(2026, 1, 1, 13, 5, tzinfo=UTC)
    part.on_execution(0, 0, view(first.execution_id, State.SUCCESS, flow_id="report"), first.execution_id, later)
    part.tick(later)
    [second], outputs = part.drain(with_progress=False)
    assert second.trigger["date"] == "2026-01-01T14:02:00+01:00"
    assert states_of(outputs)["company.team/report/dates"].next_date is None


def test_http_trigger_polls_on_its_interval_and_fires_when_the_response_condition_holds() -> None:
    part = running(flow_record("report", """  - id: http
    type: io.kestra.plugin.fs.http.Trigger
    uri: "https://shop.example/{{ flow.id }}/1"
    responseCondition: "{{ json(response.body).price <= 110 }}"
    interval: PT30S
    headers: {Accept: application/json}
"""))
    part.drain(with_progress=False)
    assert part.next_due() == (T0 + timedelta(seconds=30)).timestamp()
    polled_at = T0 + timedelta(seconds=30)
    part.tick(polled_at)
    assert part.due_polls == ["company.team/report/http"]
    request = part.poll_request("company.team/report/http")
    assert (request.method, request.uri, request.headers) == ("GET", "https://shop.example/report/1", {"Accept": "application/json"})
    assert part.next_due() == (polled_at + timedelta(seconds=30)).timestamp()  # the next poll is an interval away

    expensive = HttpResponse(request.uri, 200, {"content-type": ["application/json"]}, '{"price": 120}')
    assert part.fire_poll("company.team/report/http", expensive, polled_at, polled_at) is None
    cheap = HttpResponse(request.uri, 200, {"content-type": ["application/json"]}, '{"price": 100}')
    created = part.fire_poll("company.team/report/http", cheap, polled_at, polled_at)
    assert created is not None and created.trigger == {
        "id": "http", "type": "http.Trigger", "uri": request.uri, "code": 200,
        "headers": {"content-type": ["application/json"]}, "body": '{"price": 100}'}
    assert part.next_due() is None  # locked until its execution ends
    assert part.fire_poll("company.team/report/http", cheap, polled_at, polled_at) is None
