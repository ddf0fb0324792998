"""Per-flow concurrency: the owner's pure counting logic, and executions going through it."""

from __future__ import annotations

from harrier.core.concurrency import AdmissionRequest, ExecutionReleased, admit, release
from harrier.core.flows import ConcurrencyBehavior
from harrier.core.messages import RestartExecution
from harrier.core.states import State
from harrier.core.transitions.simulation import EPOCH, Outcome, Simulation


def _request(execution_id: str, limit: int = 2, behavior: ConcurrencyBehavior = ConcurrencyBehavior.QUEUE):
    return AdmissionRequest(flow_uid="ns/f", execution_id=execution_id, limit=limit, behavior=behavior, requested_at=EPOCH)


def _released(execution_id: str) -> ExecutionReleased:
    return ExecutionReleased(flow_uid="ns/f", execution_id=execution_id)


def test_admit_until_the_limit_then_queue_in_order() -> None:
    slots = None
    answers = []
    for e in ("a", "b", "c", "d"):
        slots, decisions = admit(slots, _request(e))
        answers += [(d.execution_id, d.decision) for d in decisions]
    assert answers == [("a", "RUN"), ("b", "RUN")]
    assert slots.running == ("a", "b") and slots.queued == ("c", "d")
    slots, decisions = release(slots, _released("b"))
    assert [(d.execution_id, d.decision) for d in decisions] == [("c", "RUN")]
    assert slots.running == ("a", "c") and slots.queued == ("d",)


def test_requests_and_releases_are_idempotent() -> None:
    slots, _ = admit(None, _request("a", limit=1))
    slots, _ = admit(slots, _request("b", limit=1))
    again, decisions = admit(slots, _request("a", limit=1))
    assert again == slots and [d.decision for d in decisions] == ["RUN"]
    again, decisions = admit(slots, _request("b", limit=1))
    assert again == slots and decisions == []
    unknown, decisions = release(slots, _released("zzz"))
    assert unknown == slots and decisions == []


def test_cancel_and_fail_behaviors_answer_at_once_with_a_reason() -> None:
    for behavior, expected in ((ConcurrencyBehavior.CANCEL, "CANCEL"), (ConcurrencyBehavior.FAIL, "FAIL")):
        slots, _ = admit(None, _request("a", 1, behavior))
        slots, decisions = admit(slots, _request("b", 1, behavior))
        assert [(d.execution_id, d.decision) for d in decisions] == [("b", expected)]
        assert "limit is 1" in decisions[0].reason
        assert slots.queued == ()


def test_release_of_a_queued_execution_and_of_the_last_one() -> None:
    slots, _ = admit(None, _request("a", 1))
    slots, _ = admit(slots, _request("b", 1))
    slots, decisions = release(slots, _released("b"))
    assert decisions == [] and slots.queued == ()
    slots, decisions = release(slots, _released("a"))
    assert slots is None and decisions == []


def test_raising_the_limit_admits_several_queued() -> None:
    slots = None
    for e in ("a", "b", "c"):
        slots, _ = admit(slots, _request(e, limit=1))
    slots, decisions = admit(slots, _request("d", limit=3))
    assert [d.execution_id for d in decisions] == ["d", "b"]
    assert slots.running == ("a", "d", "b") and slots.queued == ("c",)


def test_queue_behavior_runs_executions_one_at_a_time(seed) -> None:
    flow = seed("concurrency_queue.yml")
    sim = Simulation([flow], worker=lambda t: None)
    for i in range(3):
        sim.create(flow, f"e{i}")
    sim.run()
    assert [sim.execution(f"e{i}").state for i in range(3)] == [State.RUNNING, State.QUEUED, State.QUEUED]
    assert [t.execution_id for t in sim.held.values()] == ["e0"]
    sim.answer("one-at-a-time")
    sim.run()
    assert [sim.execution(f"e{i}").state for i in range(3)] == [State.SUCCESS, State.RUNNING, State.QUEUED]
    sim.kill("e2")
    sim.run()
    assert sim.execution("e2").state is State.KILLED
    sim.answer("one-at-a-time")
    sim.run()
    assert sim.execution("e1").state is State.SUCCESS
    assert sim.slots == {}
    assert [c.state for c in sim.execution("e1").history] == [State.CREATED, State.QUEUED, State.RUNNING, State.SUCCESS]


def test_fail_and_cancel_behaviors_end_the_extra_executions(seed, flow) -> None:
    fail_flow = seed("concurrency_fail.yml")
    sim = Simulation([fail_flow], worker=lambda t: None)
    for i in range(6):
        sim.create(fail_flow, f"e{i}")
    sim.run()
    states = [sim.execution(f"e{i}").state for i in range(6)]
    assert states == [State.RUNNING] * 5 + [State.FAILED]
    assert "concurrency limit" in sim.execution("e5").error
    cancel = flow("id: c\nnamespace: test\nconcurrency: {limit: 1, behavior: CANCEL}\ntasks:\n  - {id: a, type: Log, message: a}\n")
    sim = Simulation([cancel], worker=lambda t: None)
    sim.create(cancel, "x")
    sim.create(cancel, "y")
    sim.run()
    assert sim.execution("y").state is State.CANCELLED
    sim.answer("a", Outcome())
    sim.run()
    assert sim.execution("x").state is State.SUCCESS and sim.slots == {}


def test_a_restarted_execution_waits_for_admission_again(flow) -> None:
    f = flow("id: r\nnamespace: test\nconcurrency: {limit: 1}\ntasks:\n  - {id: a, type: Log, message: a}\n")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f, "e1")
    sim.run()
    sim.answer("a", Outcome(State.FAILED))
    sim.run()
    assert sim.execution("e1").state is State.FAILED
    sim.create(f, "e2")
    sim.run()
    assert sim.execution("e2").state is State.RUNNING
    sim.queue.append(RestartExecution(execution_id="e1"))
    sim.run()
    assert sim.execution("e1").state is State.QUEUED
    assert len(sim.held) == 1
    sim.answer("a")
    sim.run()
    assert sim.execution("e2").state is State.SUCCESS
    assert sim.execution("e1").state is State.RUNNING
    sim.answer("a")
    sim.run()
    e1 = sim.execution("e1")
    assert e1.state is State.SUCCESS
    assert [a.state for a in e1.task_runs[0].attempts] == [State.FAILED, State.SUCCESS]
