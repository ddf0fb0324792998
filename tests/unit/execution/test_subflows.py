"""Subflow: a child execution created through the executions topic, its end reported back."""

from __future__ import annotations

from harrier.core.states import State
from harrier.core.transitions.simulation import Outcome, Simulation

CHILD = """
id: child
namespace: company.team
inputs:
  - {id: name, type: STRING}
tasks:
  - {id: work, type: Return, format: "{{ inputs.name }}"}
outputs:
  - {id: greeting, value: "hello {{ outputs.work.value }}"}
"""


def _child_worker(fail: bool = False):
    def worker(task):
        if task.task_id == "work":
            return Outcome(State.FAILED, error="child broke") if fail else Outcome(outputs={"value": task.context["inputs"]["name"]})
        return Outcome()

    return worker


def test_subflow_waits_for_the_child_and_takes_its_outputs(seed, flow) -> None:
    parent = seed("subflow.yml")
    child = flow(CHILD)
    sim = Simulation([parent, child], worker=_child_worker())
    sim.create(parent, "p1")
    sim.run()
    ex = sim.execution("p1")
    assert ex.state is State.SUCCESS
    call = ex.task_runs[0]
    child_id = call.outputs["executionId"]
    kid = sim.execution(child_id)
    assert kid.parent.execution_id == "p1" and kid.parent.task_run_id == call.id
    assert kid.inputs == {"name": "p1"}
    assert kid.labels["origin"] == "parent"
    assert kid.outputs == {"greeting": "hello p1"}
    assert call.outputs == {"executionId": child_id, "state": "SUCCESS", "outputs": {"greeting": "hello p1"}}


def test_failed_child_fails_the_parent_when_transmit_failed(seed, flow) -> None:
    parent = seed("subflow.yml")
    sim = Simulation([parent, flow(CHILD)], worker=_child_worker(fail=True))
    sim.create(parent, "p1")
    sim.run()
    ex = sim.execution("p1")
    assert ex.state is State.FAILED
    assert ex.task_runs[0].state is State.FAILED
    assert "ended FAILED" in ex.task_runs[0].error


def test_failed_child_does_not_fail_the_parent_without_transmit_failed(seed, flow) -> None:
    text = seed("subflow.yml").source.replace("transmitFailed: true", "transmitFailed: false")
    parent = flow(text)
    sim = Simulation([parent, flow(CHILD)], worker=_child_worker(fail=True))
    sim.create(parent, "p1")
    sim.run()
    ex = sim.execution("p1")
    assert ex.state is State.SUCCESS
    assert ex.task_runs[0].outputs["state"] == "FAILED"


def test_subflow_without_wait_succeeds_at_once(seed, flow) -> None:
    text = seed("subflow.yml").source.replace("wait: true", "wait: false")
    parent = flow(text)
    sim = Simulation([parent, flow(CHILD)], worker=lambda t: None)
    sim.create(parent, "p1")
    sim.run()
    assert sim.execution("p1").state is State.SUCCESS
    child_id = sim.execution("p1").task_runs[0].outputs["executionId"]
    assert sim.execution(child_id).state is State.RUNNING
    sim.answer("work", Outcome(outputs={"value": "x"}))
    sim.run()
    # The child's end is reported, and dropped by the parent that did not wait.
    assert sim.execution(child_id).state is State.SUCCESS
    assert any("waits for" in reason for reason in sim.dropped)


def test_kill_propagates_to_the_child_execution(seed, flow) -> None:
    parent = seed("subflow.yml")
    sim = Simulation([parent, flow(CHILD)], worker=lambda t: None)
    sim.create(parent, "p1")
    sim.run()
    child_id = sim.execution("p1").task_runs[0].outputs["executionId"]
    sim.kill("p1")
    sim.run()
    assert sim.execution("p1").state is State.KILLED
    kid = sim.execution(child_id)
    assert kid.state is State.KILLED
    assert [c.task_run_id for c in sim.controls] == [kid.task_runs[0].id]


def test_a_replayed_create_gives_the_same_child_execution_id(seed) -> None:
    parent = seed("subflow.yml")
    first = Simulation([parent], worker=lambda t: None)
    first.create(parent, "p1")
    first.send(first.queue.popleft())
    second = Simulation([parent], worker=lambda t: None)
    second.create(parent, "p1")
    second.send(second.queue.popleft())
    # Replaying the same create gives the same child id: a replayed step is idempotent.
    assert first.queue[0].execution_id == second.queue[0].execution_id


def test_subflow_timeout_kills_the_child_and_fails(flow) -> None:
    parent = flow("""
id: parent
namespace: company.team
tasks:
  - {id: call, type: Subflow, namespace: company.team, flowId: child, inputs: {name: x}, timeout: PT10S}
""")
    sim = Simulation([parent, flow(CHILD)], worker=lambda t: None)
    sim.create(parent, "p1")
    sim.run()
    ex = sim.execution("p1")
    assert ex.state is State.FAILED
    assert ex.task_runs[0].error == "timed out after PT10S"
    child_id = ex.task_runs[0].outputs["executionId"]
    assert sim.execution(child_id).state is State.KILLED
