from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from scheduler_flows import flow_record

from harrier.core.messages import FlowRecord
from harrier.scheduler.clock import ManualClock
from harrier.scheduler.partition import TriggerPartition, _revision
from harrier.scheduler.state import (
    FLOW_TRIGGERS_SERDE,
    PROGRESS_SERDE,
    TRIGGER_STATE_SERDE,
    BackfillProgress,
    FlowTriggers,
    Progress,
    TriggerState,
    envelope_prefix,
)
from harrier.scheduler.statestore import StateStore, summarize
from harrier.topics.exceptions import DecodeError
from harrier.topics.records import FLOW_RECORD

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
STATE = TriggerState(uid="ns/f/t", namespace="ns", flow_id="f", trigger_id="t", type="Schedule", revision=2,
                     declaration={"id": "t", "type": "Schedule", "cron": "* * * * *", "inputs": {"next_date": "x"}},
                     next_date=NOW, execution_id="e1", updated_at=NOW)


def test_envelope_prefixes_match_the_serdes() -> None:
    assert TRIGGER_STATE_SERDE.encode(STATE).startswith(envelope_prefix("trigger-state"))
    summary = FlowTriggers(namespace="ns", flow_id="f", revision=1, trigger_ids=[])
    assert FLOW_TRIGGERS_SERDE.encode(summary).startswith(envelope_prefix("flow-triggers"))
    assert PROGRESS_SERDE.encode(Progress(offsets={0: 1})).startswith(envelope_prefix("scheduler-progress"))


@pytest.mark.parametrize("changes", [
    {},
    {"execution_id": None, "next_date": None, "disabled": True},
    {"locked_at": NOW, "declaration": {"inputs": {"next_date": "2000-01-01T00:00:00Z", "disabled": True}}},
    {"backfill": BackfillProgress(start=NOW, end=NOW, current=NOW)},
    {"backfill": BackfillProgress(start=NOW, end=NOW, current=NOW, paused=True)},
    {"uid": "n" * 1500},
])
def test_encoded_summary_equals_decoded_summary(changes: dict) -> None:
    state = STATE.model_copy(update=changes)
    store = StateStore()
    store.load(state.uid, TRIGGER_STATE_SERDE.encode(state))
    assert store.summaries() == {state.uid: summarize(state)}


def test_store_summarizes_encoded_states_like_decoded_ones() -> None:
    store = StateStore()
    store.load(STATE.uid, TRIGGER_STATE_SERDE.encode(STATE))
    [(uid, summary)] = store.summaries().items()
    assert uid == STATE.uid and summary == summarize(STATE)
    assert store.summaries() == {uid: summary}, "asked again, the summary is read from the bytes again"
    assert store[STATE.uid] == STATE and list(store) == [STATE.uid] and len(store) == 1
    assert store.pop(STATE.uid) == STATE and STATE.uid not in store and store.get(STATE.uid) is None


def test_revision_is_read_without_decoding_even_with_tricky_source() -> None:
    record = FlowRecord(namespace="ns", id="f", revision=12, source='description: \'"revision":99\'\n')
    assert _revision(FLOW_RECORD.encode(record)) == 12
    with pytest.raises(DecodeError):
        _revision(b'{"v":1,"type":"flow","data":{}}')


def test_unknown_record_on_triggers_is_an_error() -> None:
    part = TriggerPartition(0, tolerance=timedelta(seconds=2))
    with pytest.raises(DecodeError, match="ns/x: not a trigger-state"):
        part.restore("ns/x", b'{"v":1,"type":"other","data":{}}')


def test_staged_encoded_flow_is_parsed_at_start() -> None:
    record = flow_record("f", """  - id: t
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
""")
    part = TriggerPartition(0, tolerance=timedelta(seconds=2))
    part.stage_flow(record.uid, FLOW_RECORD.encode(record))
    part.stage_flow("company.team/broken", b"not json")
    part.start(NOW)
    assert part.states["company.team/f/t"].next_date == NOW + timedelta(hours=1)
    assert "company.team/broken" not in part.flows


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(NOW)
    assert clock.advance(timedelta(seconds=5)) == NOW + timedelta(seconds=5) == clock.now()
    with pytest.raises(ValueError, match="cannot move the clock back"):
        clock.set(NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))


def test_summaries_survive_decoding_while_iterating() -> None:
    store = StateStore()
    for i in range(3):
        state = STATE.model_copy(update={"uid": f"ns/f/t{i}"})
        store.load(state.uid, TRIGGER_STATE_SERDE.encode(state))
    seen = [uid for uid in store.summaries() if store[uid] is not None]
    assert seen == ["ns/f/t0", "ns/f/t1", "ns/f/t2"]
