"""The seeds' flows driven to the end with a worker that always succeeds."""

from __future__ import annotations

from harrier.core.states import State
from harrier.core.transitions.simulation import Outcome, Simulation


def test_two_task_flow_runs_in_order_and_passes_outputs(seed) -> None:
    flow = seed("two_tasks.yml")
    sim = Simulation([flow], worker=lambda t: Outcome(outputs={"value": t.task_id}))
    sim.create(flow)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.SUCCESS
    assert sim.ran() == ["first", "second"]
    # `{{ outputs | length }}` reads all outputs: the second task gets the first's.
    assert sim.worker_tasks[1].context["outputs"] == {"first": {"value": "first"}}
    assert [c.state for c in ex.history] == [State.CREATED, State.RUNNING, State.SUCCESS]
    assert ex.ended_at is not None
    assert sim.steps == 3


def test_five_if_flow_takes_then_branches(seed) -> None:
    flow = seed("kestra_benchmark02_complex_flow.yml")
    sim = Simulation([flow])
    sim.create(flow)
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert sim.ran() == [f"hello-true-{i}" for i in range(1, 6)]
    states = sim.states()
    assert all(states[f"if{n}"] == [State.SUCCESS] for n in ("1", "2", "4", "5"))
    assert "hello-false-1" not in states


def test_five_if_flow_takes_else_branches_when_input_is_false(seed) -> None:
    flow = seed("kestra_benchmark02_complex_flow.yml")
    sim = Simulation([flow])
    sim.create(flow, inputs={"condition": False})
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert sim.ran() == [f"hello-false-{i}" for i in range(1, 6)]


def test_foreach_160_log_sends_all_iterations_at_once(seed) -> None:
    flow = seed("foreach_160_log.yml")
    sim = Simulation([flow], worker=lambda t: None)
    sim.create(flow)
    sim.run()
    # concurrencyLimit 0: the create step dispatches all 160 iterations.
    assert len(sim.held) == 160
    assert sorted(t.value for t in sim.worker_tasks) == list(range(1, 161))
    assert all(t.context["taskrun"]["value"] == t.value for t in sim.worker_tasks)
    for task in list(sim.held.values()):
        sim.queue.append(sim.result_of(task, Outcome()))
    sim.run()
    ex = sim.execution()
    assert ex.state is State.SUCCESS
    assert len(ex.task_runs) == 161
    assert sim.steps == 161


def test_simple_flow_renders_outputs_of_the_named_task_only(seed) -> None:
    flow = seed("kestra_benchmark01_simple_flow.yml")
    sim = Simulation([flow], worker=lambda t: Outcome(outputs={"values": {"message": "Hello World"}}))
    sim.create(flow)
    sim.run()
    hello = sim.worker_tasks[1]
    assert hello.context["outputs"] == {"concatenate": {"values": {"message": "Hello World"}}}
    assert "inputs" not in hello.context
    assert sim.worker_tasks[0].context["inputs"] == {"name": "World"}


def test_nested_foreach_keys_outputs_by_iteration_values(seed) -> None:
    flow = seed("nested_foreach.yml")

    def worker(task):
        if task.task_id == "pair":
            return Outcome(outputs={"values": {"pair": f"{task.context['parent']['taskrun']['value']}-{task.value}"}})
        return Outcome()

    sim = Simulation([flow], worker=worker)
    sim.create(flow)
    sim.run()
    assert sim.execution().state is State.SUCCESS
    summaries = [t for t in sim.worker_tasks if t.task_id == "summary"]
    assert [t.value for t in summaries] == ["a", "b"]
    pair = summaries[0].context["outputs"]["pair"]
    assert pair["a"] == {"1": {"values": {"pair": "a-1"}}, "2": {"values": {"pair": "a-2"}}, "3": {"values": {"pair": "a-3"}}}
    # Outer ForEach is sequential (default limit 1): b's pairs run after a's summary.
    order = [(t.task_id, t.value) for t in sim.worker_tasks]
    assert order.index(("summary", "a")) < order.index(("pair", 1), 3)
