from __future__ import annotations

from datetime import datetime, timezone

import pytest

from harrier.core.executions import Execution, StateChange, TaskRun
from harrier.core.states import State
from harrier.scheduler.upstream import peek_state, read_execution
from harrier.topics.serdes import ModelSerde, encode_data

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
SERDE = ModelSerde("execution", Execution)


def snapshot(state: State) -> bytes:
    run = TaskRun(id="tr1", task_id="t", state=State.FAILED, history=(StateChange(state=State.FAILED, at=AT),))
    execution = Execution(
        id='odd "state":"SUCCESS" id', namespace="company.team", flow_id="f", flow_revision=3, state=state,
        history=(StateChange(state=State.CREATED, at=AT), StateChange(state=state, at=AT)),
        labels={"env": "prod"}, trigger={"state": "KILLED"}, task_runs=(run,), outputs={"x": 1}, created_at=AT,
    )
    return SERDE.encode(execution)


@pytest.mark.parametrize("state", [State.RUNNING, State.SUCCESS, State.PAUSED, State.KILLED])
def test_peek_reads_the_execution_state_not_nested_ones(state: State) -> None:
    assert peek_state(snapshot(state)) is state


def test_peek_ignores_other_records() -> None:
    assert peek_state(encode_data("execution-released", {"state": "SUCCESS"})) is None


def test_read_execution_keeps_what_the_scheduler_needs() -> None:
    view = read_execution(snapshot(State.WARNING))
    assert (view.id, view.namespace, view.flow_id, view.flow_revision) == ('odd "state":"SUCCESS" id', "company.team", "f", 3)
    assert view.state is State.WARNING and view.terminal and view.transitions == 2
    assert view.labels == {"env": "prod"} and view.outputs == {"x": 1}


def test_read_execution_names_the_missing_field() -> None:
    with pytest.raises(ValueError, match="execution snapshot has no 'namespace'"):
        read_execution(encode_data("execution", {"id": "e", "state": "SUCCESS"}))
