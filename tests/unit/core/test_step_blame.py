"""Which task run a step blames when it raises: the innermost one being worked on, and the
parent again once a child it started returned normally."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

import pytest

from harrier.core import parse_flow
from harrier.core.messages import CreateExecution
from harrier.core.transitions import StepError, engine, step  # engine: to break its decide

NOW = datetime(2026, 1, 1, tzinfo=UTC)

FLOW = parse_flow(textwrap.dedent("""
    id: seq
    namespace: t
    tasks:
      - id: outer
        type: Sequential
        tasks:
          - {id: a, type: Log, message: a}
"""), file="test.yml")


def test_a_parent_failing_after_its_child_started_is_blamed_not_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    real = engine.decide

    def decide_then_break(task, tr, children, limit=0):  # type: ignore[no-untyped-def]
        if task.id == "outer" and children:
            raise RuntimeError("outer broke after starting a")
        return real(task, tr, children, limit)

    monkeypatch.setattr(engine, "decide", decide_then_break)
    create = CreateExecution(execution_id="e1", namespace="t", flow_id="seq", created_at=NOW)
    with pytest.raises(StepError) as caught:
        step(None, FLOW, create, NOW)
    partial = caught.value.execution
    assert partial is not None
    by_task = {tr.task_id: tr for tr in partial.task_runs}
    assert set(by_task) == {"outer", "a"}
    assert caught.value.task_run_id == by_task["outer"].id
    assert str(caught.value) == "RuntimeError: outer broke after starting a"
