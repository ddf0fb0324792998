"""Each flowable resolved inside the step: If, Switch, ForEach, Parallel, Sequential,
AllowFailure, Dag, and flowables nested in each other."""

from __future__ import annotations

from harrier.core.states import State
from harrier.core.transitions.simulation import Outcome, Simulation

HEADER = "id: f\nnamespace: test\n"


def fails(*task_ids: str):
    def worker(task):
        return Outcome(State.FAILED, error="boom") if task.task_id in task_ids else Outcome()

    return worker


def test_if_without_else_and_false_condition_succeeds_without_children(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: check
    type: If
    condition: "{{ 1 > 2 }}"
    then:
      - {id: a, type: Log, message: a}
  - {id: after, type: Log, message: after}
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert sim.ran() == ["after"]
    assert sim.execution().task_runs[0].branch == "else"


def test_if_condition_that_does_not_render_fails_the_task_with_its_location(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: check
    type: If
    condition: "{{ inputs.missing.deeper }}"
    then:
      - {id: a, type: Log, message: a}
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED
    assert ex.task_runs[0].error.startswith("check.condition")
    assert any(log.level == "ERROR" and "check.condition" in log.message for log in sim.logs)


def test_switch_runs_the_matching_case_then_defaults(flow) -> None:
    text = HEADER + """
inputs:
  - {id: kind, type: STRING}
tasks:
  - id: route
    type: Switch
    value: "{{ inputs.kind }}"
    cases:
      red: [{id: r, type: Log, message: r}]
      blue: [{id: b1, type: Log, message: b}, {id: b2, type: Log, message: b}]
    defaults: [{id: d, type: Log, message: d}]
"""
    for kind, ran in (("blue", ["b1", "b2"]), ("red", ["r"]), ("green", ["d"])):
        f = flow(text)
        sim = Simulation([f])
        sim.create(f, inputs={"kind": kind})
        sim.run()
        assert sim.execution().state is State.SUCCESS
        assert sim.ran() == ran
        assert sim.execution().task_runs[0].outputs == {"value": kind}


def test_switch_without_match_or_defaults_succeeds_empty(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: route
    type: Switch
    value: other
    cases:
      red: [{id: r, type: Log, message: r}]
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert sim.ran() == []


def _foreach(flow, limit: int, values: str = "[1, 2, 3, 4, 5]"):
    return flow(HEADER + f"""
tasks:
  - id: each
    type: ForEach
    values: {values}
    concurrencyLimit: {limit}
    tasks:
      - {{id: one, type: Log, message: "{{{{ taskrun.value }}}}"}}
      - {{id: two, type: Log, message: "{{{{ taskrun.value }}}}"}}
""")


def _max_in_flight(limit_flow) -> tuple[int, Simulation]:
    sim = Simulation([limit_flow], worker=lambda t: None)
    sim.create(limit_flow)
    sim.run()
    peak = len(sim.held)
    while sim.held:
        task = next(iter(sim.held.values()))
        sim.answer(task.task_id)
        sim.run()
        peak = max(peak, len(sim.held))
    return peak, sim


def test_foreach_concurrency_limit_zero_one_and_n(flow) -> None:
    for limit, expected in ((0, 5), (1, 1), (2, 2)):
        peak, sim = _max_in_flight(_foreach(flow, limit))
        ex = sim.execution()
        assert ex.state is State.SUCCESS, limit
        assert peak == expected, limit
        assert len(ex.task_runs) == 11
        # Within one iteration the tasks run in order.
        for value in range(1, 6):
            names = [t.task_id for t in sim.worker_tasks if t.value == value]
            assert names == ["one", "two"]


def test_foreach_sequential_runs_iterations_in_value_order(flow) -> None:
    sim = Simulation([_foreach(flow, 1)])
    sim.create(sim.flows["test/f"])
    sim.run()
    assert [(t.task_id, t.value) for t in sim.worker_tasks][:4] == [("one", 1), ("two", 1), ("one", 2), ("two", 2)]


def test_foreach_values_from_an_expression_and_from_json_text(flow) -> None:
    for values, expected in (('"{{ range(1, 3) }}"', [1, 2, 3]), ("'[\"x\", \"y\"]'", ["x", "y"])):
        sim = Simulation([_foreach(flow, 0, values)])
        sim.create("test/f")
        sim.run()
        assert sim.execution().task_runs[0].items == expected
        assert sorted({t.value for t in sim.worker_tasks}, key=str) == sorted(expected, key=str)


def test_foreach_values_not_a_list_fails_clearly(flow) -> None:
    sim = Simulation([_foreach(flow, 0, '"{{ 42 }}"')])
    sim.create("test/f")
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED
    assert "each.values: expected a list" in ex.task_runs[0].error


def test_foreach_over_empty_list_succeeds(flow) -> None:
    sim = Simulation([_foreach(flow, 0, "[]")])
    sim.create("test/f")
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert sim.ran() == []


def test_foreach_failure_stops_new_iterations_and_fails(flow) -> None:
    f = _foreach(flow, 1)
    sim = Simulation([f], worker=lambda t: Outcome(State.FAILED) if (t.task_id, t.value) == ("one", 2) else Outcome())
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED
    assert [(t.task_id, t.value) for t in sim.worker_tasks] == [("one", 1), ("two", 1), ("one", 2)]


def test_foreach_outputs_are_per_value(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: each
    type: ForEach
    values: [a, b]
    tasks:
      - {id: out, type: Return, format: "{{ taskrun.value }}"}
      - {id: same, type: Log, message: "{{ outputs.out[taskrun.value].value }}"}
  - {id: all, type: Log, message: "{{ outputs.out }}"}
""")
    sim = Simulation([f], worker=lambda t: Outcome(outputs={"value": t.value}) if t.task_id == "out" else Outcome())
    sim.create(f)
    sim.run()
    last = sim.worker_tasks[-1]
    assert last.task_id == "all"
    assert last.context["outputs"] == {"out": {"a": {"value": "a"}, "b": {"value": "b"}}}
    same_b = [t for t in sim.worker_tasks if t.task_id == "same"][1]
    assert same_b.context["outputs"]["out"]["b"] == {"value": "b"}


def test_parallel_starts_all_or_concurrent_at_a_time(flow) -> None:
    for concurrent, expected in ((0, 4), (2, 2)):
        f = flow(HEADER + f"""
tasks:
  - id: par
    type: Parallel
    concurrent: {concurrent}
    tasks:
      - {{id: a, type: Log, message: a}}
      - {{id: b, type: Log, message: b}}
      - {{id: c, type: Log, message: c}}
      - {{id: d, type: Log, message: d}}
""")
        peak, sim = _max_in_flight(f)
        assert peak == expected
        assert sim.execution().state is State.SUCCESS
        assert sorted(sim.ran()) == ["a", "b", "c", "d"]


def test_parallel_failure_fails_after_running_children_end(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: par
    type: Parallel
    concurrent: 2
    tasks:
      - {id: a, type: Log, message: a}
      - {id: b, type: Log, message: b}
      - {id: c, type: Log, message: c}
""")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run()
    sim.answer("a", Outcome(State.FAILED))
    sim.run()
    assert sim.execution().state is State.RUNNING  # b still runs
    sim.answer("b")
    sim.run()
    assert sim.execution().state is State.FAILED
    assert "c" not in sim.ran()


def test_sequential_and_allow_failure(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: tolerant
    type: AllowFailure
    tasks:
      - id: seq
        type: Sequential
        tasks:
          - {id: a, type: Log, message: a}
          - {id: b, type: Log, message: b}
          - {id: c, type: Log, message: c}
  - {id: after, type: Log, message: after}
""")
    sim = Simulation([f], worker=fails("b"))
    sim.create(f)
    sim.run()
    states = sim.states()
    assert sim.ran() == ["a", "b", "after"]
    assert states["seq"] == [State.FAILED]
    assert states["tolerant"] == [State.WARNING]
    assert sim.execution().state is State.WARNING


def test_dag_runs_tasks_when_dependencies_succeeded(seed) -> None:
    flow = seed("dag.yml")
    sim = Simulation([flow], worker=lambda t: None)
    sim.create(flow)
    sim.run()
    assert [t.task_id for t in sim.held.values()] == ["extract"]
    sim.answer("extract")
    sim.run()
    assert [t.task_id for t in sim.held.values()] == ["transform"]
    sim.answer("transform")
    sim.run()
    sim.answer("load")
    sim.run()
    assert sim.execution().state is State.SUCCESS


def test_dag_independent_tasks_run_together_and_failure_blocks_dependents(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: graph
    type: Dag
    tasks:
      - task: {id: a, type: Log, message: a}
      - task: {id: b, type: Log, message: b}
      - task: {id: c, type: Log, message: c}
        dependsOn: [a, b]
""")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run()
    assert sorted(t.task_id for t in sim.held.values()) == ["a", "b"]
    sim.answer("a", Outcome(State.FAILED))
    sim.answer("b")
    sim.run()
    assert sim.execution().state is State.FAILED
    assert "c" not in sim.ran()


def test_foreach_inside_if_inside_parallel(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: par
    type: Parallel
    tasks:
      - id: cond
        type: If
        condition: "{{ true }}"
        then:
          - id: each
            type: ForEach
            values: [1, 2]
            concurrencyLimit: 0
            tasks:
              - id: inner-if
                type: If
                condition: "{{ taskrun.value == 2 }}"
                then:
                  - {id: two, type: Log, message: "{{ taskrun.value }}"}
                else:
                  - {id: other, type: Log, message: "{{ taskrun.value }}"}
      - {id: side, type: Log, message: side}
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.SUCCESS
    assert sorted((t.task_id, t.value) for t in sim.worker_tasks) == [("other", 1), ("side", None), ("two", 2)]
    two = next(tr for tr in ex.task_runs if tr.task_id == "two")
    assert two.value == 2 and two.iteration == (1,)


def test_disabled_tasks_are_not_run(seed) -> None:
    flow = seed("timeouts_and_options.yml")
    sim = Simulation([flow])
    sim.create(flow)
    sim.run()
    assert "skipped" not in sim.states()


def test_dag_does_not_wait_for_a_disabled_dependency(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: graph
    type: Dag
    tasks:
      - task: {id: a, type: Log, message: a, disabled: true}
      - task: {id: b, type: Log, message: b}
        dependsOn: [a]
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert sim.ran() == ["b"]
