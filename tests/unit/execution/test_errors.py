"""errors and finally (flow level and branch level), allowFailure and runIf."""

from __future__ import annotations

from harrier.core.states import State
from harrier.core.transitions.simulation import Outcome, Simulation

HEADER = "id: f\nnamespace: test\n"


def fails(*task_ids: str):
    def worker(task):
        return Outcome(State.FAILED, error="boom") if task.task_id in task_ids else Outcome()

    return worker


def test_flow_errors_then_finally_run_and_execution_fails(seed) -> None:
    flow = seed("errors_and_finally.yml")
    sim = Simulation([flow], worker=fails("fail"))
    sim.create(flow)
    sim.run()
    assert sim.ran() == ["fail", "alert", "cleanup"]
    assert sim.execution().state is State.FAILED
    assert sim.execution().error == "task fail failed: boom"


def test_flow_finally_runs_on_success_and_errors_do_not(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: a, type: Log, message: a}
errors:
  - {id: e, type: Log, message: e}
finally:
  - {id: z, type: Log, message: z}
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    assert sim.ran() == ["a", "z"]
    assert sim.execution().state is State.SUCCESS


def test_failing_finally_fails_a_successful_execution(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: a, type: Log, message: a}
finally:
  - {id: z, type: Log, message: z}
""")
    sim = Simulation([f], worker=fails("z"))
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.FAILED


def test_branch_errors_run_inside_the_flowable_and_it_fails(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: seq
    type: Sequential
    tasks:
      - {id: a, type: Log, message: a}
      - {id: b, type: Log, message: b}
    errors:
      - {id: local, type: Log, message: "{{ taskrun.value }}"}
  - {id: never, type: Log, message: never}
errors:
  - {id: global, type: Log, message: g}
""")
    sim = Simulation([f], worker=fails("a"))
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert sim.ran() == ["a", "local", "global"]
    local = next(tr for tr in ex.task_runs if tr.task_id == "local")
    seq = next(tr for tr in ex.task_runs if tr.task_id == "seq")
    assert local.parent_task_run_id == seq.id
    assert seq.state is State.FAILED
    assert ex.state is State.FAILED


def test_errors_inside_foreach_iteration_see_the_value(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: each
    type: ForEach
    values: [1, 2]
    tasks:
      - id: seq
        type: Sequential
        tasks:
          - {id: work, type: Log, message: w}
        errors:
          - {id: handler, type: Log, message: "{{ taskrun.value }}"}
""")
    sim = Simulation([f], worker=lambda t: Outcome(State.FAILED) if (t.task_id, t.value) == ("work", 1) else Outcome())
    sim.create(f)
    sim.run()
    handler = [t for t in sim.worker_tasks if t.task_id == "handler"]
    assert [t.value for t in handler] == [1]
    assert sim.execution().state is State.FAILED


def test_allow_failure_turns_a_failed_task_into_warning(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: a, type: Log, message: a, allowFailure: true}
  - {id: b, type: Log, message: b}
""")
    sim = Simulation([f], worker=fails("a"))
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert sim.ran() == ["a", "b"]
    assert sim.states()["a"] == [State.WARNING]
    assert ex.task_runs[0].error == "boom"
    assert ex.state is State.WARNING


def test_run_if_false_skips_the_task_as_success(flow) -> None:
    f = flow(HEADER + """
inputs:
  - {id: go, type: BOOL}
tasks:
  - {id: a, type: Log, message: a, runIf: "{{ inputs.go }}"}
  - id: cond
    type: Sequential
    runIf: "{{ inputs.go }}"
    tasks:
      - {id: b, type: Log, message: b}
  - {id: c, type: Log, message: c}
""")
    sim = Simulation([f])
    sim.create(f, inputs={"go": False})
    sim.run()
    assert sim.ran() == ["c"]
    assert sim.states() == {"a": [State.SUCCESS], "cond": [State.SUCCESS], "c": [State.SUCCESS]}
    assert any("runIf is false" in log.message for log in sim.logs)
    sim = Simulation([f])
    sim.create(f, inputs={"go": True})
    sim.run()
    assert sim.ran() == ["a", "b", "c"]


def test_run_if_reads_outputs_of_earlier_tasks(seed) -> None:
    flow = seed("timeouts_and_options.yml")
    sim = Simulation([flow], worker=lambda t: Outcome(outputs={"done": True}))
    sim.create(flow)
    sim.run()
    assert sim.ran() == ["slow", "conditional"]


def test_invalid_inputs_fail_the_execution_at_create(flow) -> None:
    f = flow(HEADER + """
inputs:
  - {id: n, type: INT}
tasks:
  - {id: a, type: Log, message: a}
""")
    sim = Simulation([f])
    sim.create(f, inputs={"n": "not a number"})
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED
    assert "input 'n'" in ex.error
    assert sim.ran() == []


def test_flow_outputs_are_rendered_at_the_end(seed, flow) -> None:
    f = seed("flow_outputs.yml")
    sim = Simulation([f], worker=lambda t: Outcome(outputs={"value": "42"}))
    sim.create(f)
    sim.run()
    assert sim.execution().outputs == {"answer": "42"}
    # A task that never ran (validation refuses one that does not exist at all).
    bad = flow(HEADER + """
tasks:
  - id: a
    type: If
    condition: "{{ false }}"
    then: [{id: skipped, type: Return, format: x}]
outputs:
  - {id: x, value: "{{ outputs.skipped.value }}"}
""")
    sim = Simulation([bad])
    sim.create(bad)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED
    assert ex.error.startswith("flow outputs: outputs.x")
