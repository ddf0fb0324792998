"""Whatever escapes `step` names the task run it was working on, and `fail_execution` ends the
execution FAILED with the error there (harrier/core/transitions/failures.py)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from harrier.core import parse_flow
from harrier.core.concurrency import ExecutionReleased
from harrier.core.executions import Execution
from harrier.core.flows import Flow
from harrier.core.messages import CreateExecution, ParentRef, SubflowEnded, WorkerResult
from harrier.core.states import State
from harrier.core.transitions import StepError, engine, fail_execution, step

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(seconds=5)


def _flow(text: str) -> Flow:
    return parse_flow(textwrap.dedent(text), file="test.yml")


def _create(flow: Flow, parent: ParentRef | None = None) -> CreateExecution:
    return CreateExecution(execution_id="e1", namespace=flow.namespace, flow_id=flow.id, parent=parent, created_at=NOW)


def _step_error(execution: Execution | None, flow: Flow, event: object) -> StepError:
    with pytest.raises(StepError) as caught:
        step(execution, flow, event, LATER)  # type: ignore[arg-type]
    return caught.value


PARENT = """
id: parent
namespace: t
tasks:
  - id: first
    type: Log
    message: one
  - id: call
    type: Subflow
    namespace: t
    flowId: child
    transmitFailed: "{{ 1 // 0 }}"
"""


def _running_subflow(flow: Flow) -> Execution:
    execution = step(None, flow, _create(flow), NOW).execution
    assert execution is not None
    first = execution.task_runs[0]
    result = step(execution, flow, WorkerResult(
        execution_id="e1", task_run_id=first.id, attempt=1, state=State.SUCCESS, started_at=NOW, ended_at=NOW,
    ), NOW)
    assert result.execution is not None and [tr.task_id for tr in result.execution.task_runs] == ["first", "call"]
    return result.execution


def test_a_render_error_in_a_handler_fails_the_subflow_task_run_it_was_handling() -> None:
    flow = _flow(PARENT)
    execution = _running_subflow(flow)
    call = execution.task_runs[1]
    child_id = call.outputs["executionId"]
    ended = SubflowEnded(execution_id="e1", task_run_id=call.id, child_execution_id=child_id, state=State.FAILED)
    error = _step_error(execution, flow, ended)
    assert error.task_run_id == call.id
    assert "integer division or modulo by zero" in str(error)

    result = fail_execution(error.execution, flow, str(error), error.task_run_id, LATER)
    failed = result.execution
    assert failed is not None and failed.state is State.FAILED
    by_task = {tr.task_id: tr for tr in failed.task_runs}
    assert by_task["call"].state is State.FAILED and by_task["call"].error == str(error)
    assert by_task["call"].attempts[-1].state is State.FAILED
    assert by_task["first"].state is State.SUCCESS
    assert failed.error == f"task call failed: {error}"
    assert failed.ended_at == LATER and failed.timers == ()
    assert [log.task_id for log in result.logs] == ["call"]
    assert not result.worker_tasks and not result.controls  # a Subflow runs on no worker


def _one_task_with_output(value: str) -> tuple[Flow, Execution, WorkerResult]:
    """A flow whose only task is running, with one flow output of ``value``, and that task's
    successful result."""
    flow = _flow(f"""
        id: outs
        namespace: t
        tasks:
          - {{id: only, type: Log, message: hi}}
        outputs:
          - {{id: broken, value: "{value}"}}
    """)
    execution = step(None, flow, _create(flow), NOW).execution
    only = execution.task_runs[0]
    result = WorkerResult(execution_id="e1", task_run_id=only.id, attempt=1, state=State.SUCCESS, started_at=NOW, ended_at=NOW)
    return flow, execution, result


def test_a_bad_type_in_the_flow_outputs_fails_the_execution_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    flow, execution, result = _one_task_with_output("{{ [1] }}")

    def unserializable(value: object) -> object:
        raise TypeError("Unable to serialize unknown type")

    # A value no expression can yield any more (see the next test) stands in for a bug here.
    monkeypatch.setattr(engine, "to_jsonable_python", unserializable)
    error = _step_error(execution, flow, result)
    assert error.task_run_id is None
    assert str(error) == "TypeError: Unable to serialize unknown type"

    failed = fail_execution(error.execution, flow, str(error), None, LATER).execution
    assert failed.state is State.FAILED and failed.error == str(error)
    assert failed.outputs is None and failed.task_runs[0].state is State.SUCCESS


def test_a_function_in_the_flow_outputs_is_an_expression_error() -> None:
    # `range` is a function: the sandbox refuses it inside a value instead of letting it reach
    # the JSON encoder.
    flow, execution, result = _one_task_with_output("{{ [range] }}")
    ended = step(execution, flow, result, LATER).execution
    assert ended.state is State.FAILED
    assert ended.error is not None and "yields a function inside its value, not data" in ended.error, ended.error


def test_a_flowable_bug_during_a_create_fails_the_innermost_task_run_the_step_created(monkeypatch: pytest.MonkeyPatch) -> None:
    flow = _flow("""
        id: nested
        namespace: t
        tasks:
          - id: outer
            type: Sequential
            tasks:
              - id: route
                type: Switch
                value: a
                cases:
                  a: [{id: ra, type: Log, message: a}]
    """)
    real = engine.initialize

    def broken(run, tr, task):  # type: ignore[no-untyped-def]
        if task.id == "route":
            raise KeyError("a bug in a flowable")
        return real(run, tr, task)

    monkeypatch.setattr(engine, "initialize", broken)
    error = _step_error(None, flow, _create(flow))
    assert error.execution is not None
    route = next(tr for tr in error.execution.task_runs if tr.task_id == "route")
    assert error.task_run_id == route.id
    assert str(error) == "KeyError: 'a bug in a flowable'"

    failed = fail_execution(error.execution, flow, str(error), error.task_run_id, LATER).execution
    states = {tr.task_id: tr.state for tr in failed.task_runs}
    assert states == {"outer": State.KILLED, "route": State.FAILED}
    assert failed.state is State.FAILED and failed.error == "task route failed: KeyError: 'a bug in a flowable'"


def test_a_failed_child_reports_to_its_parent_and_releases_its_concurrency_slot() -> None:
    flow = _flow("""
        id: limited
        namespace: t
        concurrency: {limit: 1}
        tasks:
          - {id: slow, type: Sleep, duration: PT10S}
    """)
    parent = ParentRef(execution_id="p1", task_run_id="tr-p", namespace="t", flow_id="parent")
    queued = step(None, flow, _create(flow, parent), NOW).execution
    assert queued.state is State.QUEUED
    result = fail_execution(queued, flow, "boom", None, LATER)
    assert result.execution.state is State.FAILED
    assert result.admissions == [ExecutionReleased(flow_uid="t/limited", execution_id="e1")]
    [ended] = result.commands
    assert isinstance(ended, SubflowEnded) and ended.execution_id == "p1" and ended.state is State.FAILED


def test_without_its_flow_an_execution_fails_with_every_running_attempt_killed() -> None:
    flow = _flow("""
        id: gone
        namespace: t
        tasks:
          - {id: a, type: Sleep, duration: PT10S}
    """)
    running = step(None, flow, _create(flow), NOW).execution
    a = running.task_runs[0]
    result = fail_execution(running, None, "flow t/gone revision 1 is not in the flow table", None, LATER)
    failed = result.execution
    assert failed.state is State.FAILED and failed.error == "flow t/gone revision 1 is not in the flow table"
    assert failed.task_runs[0].state is State.KILLED and failed.task_runs[0].attempts[-1].state is State.KILLED
    assert [c.task_run_id for c in result.controls] == [a.id]
    assert [h.state for h in failed.history][-1] is State.FAILED
    assert result.admissions == [ExecutionReleased(flow_uid="t/gone", execution_id="e1")]
    assert [log.message for log in result.logs] == ["flow t/gone revision 1 is not in the flow table"]


def test_an_execution_that_already_ended_is_left_as_it_is() -> None:
    flow = _flow("""
        id: done
        namespace: t
        disabled: true
        tasks:
          - {id: a, type: Log, message: a}
    """)
    ended = step(None, flow, _create(flow), NOW).execution
    assert ended.state is State.FAILED
    result = fail_execution(ended, flow, "late trouble", None, LATER)
    assert not result.changed and result.execution is ended
    assert result.dropped == "execution e1 already ended FAILED"
