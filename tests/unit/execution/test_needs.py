"""What templates read, and the context a worker task carries."""

from __future__ import annotations

from harrier.core.messages import RestartExecution
from harrier.core.states import State
from harrier.core.transitions.needs import needs_of
from harrier.core.transitions.simulation import Outcome, Simulation

HEADER = "id: f\nnamespace: test\n"


def test_needs_names_the_outputs_a_template_reads() -> None:
    needs = needs_of([{"a": "{{ outputs.one.value }} {{ outputs['two-x'].y }}", "b": ["{{ inputs.n }}"]}])
    assert needs.roots == {"outputs", "inputs"}
    assert needs.outputs == {"one", "two-x"}


def test_needs_falls_back_to_all_outputs_for_dynamic_uses() -> None:
    assert needs_of(["{{ outputs | length }}"]).outputs is None
    assert needs_of(["{{ outputs[name] }}"]).outputs is None
    assert needs_of(["{{ render(vars.x) }}"]).outputs is None


def test_needs_of_plain_text_and_bad_syntax_is_nothing() -> None:
    assert needs_of(["hello", 3, {"k": "v"}]).nothing
    assert needs_of(["{{ broken "]).nothing
    assert needs_of(["{% for x in [1] %}{{ x }}{% endfor %}"]).nothing


def test_worker_context_holds_only_named_outputs(flow) -> None:
    f = flow(HEADER + """
variables: {big: "{{ 1 }}"}
tasks:
  - {id: a, type: Return, format: a}
  - {id: b, type: Return, format: b}
  - {id: c, type: Log, message: "{{ outputs.a.value }}"}
  - {id: d, type: Log, message: "{{ vars.big }} {{ taskrun.value }}"}
""")
    sim = Simulation([f], worker=lambda t: Outcome(outputs={"value": t.task_id}))
    sim.create(f)
    sim.run()
    c, d = sim.worker_tasks[2], sim.worker_tasks[3]
    assert c.context["outputs"] == {"a": {"value": "a"}}
    assert set(c.context) == {"flow", "execution", "task", "taskrun", "outputs"}
    assert "outputs" not in d.context and d.context["vars"] == {"big": "{{ 1 }}"}
    assert c.task == {"id": "c", "type": "Log", "message": "{{ outputs.a.value }}"}


def test_foreach_iteration_ending_instantly_moves_on(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: each
    type: ForEach
    values: [1, 2, 3]
    concurrencyLimit: 1
    tasks:
      - {id: maybe, type: Log, message: m, runIf: "{{ taskrun.value != 2 }}"}
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert [t.value for t in sim.worker_tasks] == [1, 3]


def test_restart_inside_foreach_reruns_only_the_failed_iteration(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: each
    type: ForEach
    values: [1, 2, 3]
    concurrencyLimit: 0
    tasks:
      - {id: work, type: Log, message: w}
""")
    failures = {2}

    def worker(task):
        if task.value in failures:
            failures.discard(task.value)
            return Outcome(State.FAILED)
        return Outcome()

    sim = Simulation([f], worker=worker)
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.FAILED
    sim.queue.append(RestartExecution(execution_id="e1"))
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert [t.value for t in sim.worker_tasks] == [1, 2, 3, 2]
    assert len(sim.execution().task_runs) == 4


def test_templates_inside_variables_count_as_needs(flow) -> None:
    f = flow(HEADER + """
variables: {greeting: "hi {{ outputs.a.value }}"}
tasks:
  - {id: a, type: Return, format: a}
  - {id: b, type: Log, message: "{{ render(vars.greeting) }}"}
  - {id: c, type: Log, message: "{{ vars.greeting }}"}
""")
    sim = Simulation([f], worker=lambda t: Outcome(outputs={"value": t.task_id}))
    sim.create(f)
    sim.run()
    assert sim.worker_tasks[1].context["outputs"] == {"a": {"value": "a"}}
    assert sim.worker_tasks[2].context["outputs"] == {"a": {"value": "a"}}


def test_worker_task_definition_includes_plugin_defaults(flow) -> None:
    f = flow(HEADER + """
pluginDefaults:
  - type: io.kestra.plugin.core.log.Log
    values: {level: WARN}
tasks:
  - {id: a, type: io.kestra.plugin.core.log.Log, message: hi}
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    assert sim.worker_tasks[0].task == {"id": "a", "type": "io.kestra.plugin.core.log.Log", "message": "hi", "level": "WARN"}
