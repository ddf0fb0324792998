"""Flow and task properties Kestra accepts, and the deprecated forms still seen in real flows:
flow-level `retry`, `allowWarning`, `finally` on flowables, `afterExecution`, `sla`,
`Pause.tasks`, input `name`/`ENUM`/dotted ids, `taskDefaults`, `Subflow.outputs`, the old
type names, and Switch cases written as integers."""

from __future__ import annotations

from datetime import timedelta

from harrier.core import parse_flow
from harrier.core.expressions import render
from harrier.core.messages import ResumeExecution
from harrier.core.states import State
from harrier.core.transitions.simulation import Outcome, Simulation

HEADER = "id: f\nnamespace: test\n"


def fails(*task_ids: str):
    def worker(task):
        return Outcome(State.FAILED, error="boom") if task.task_id in task_ids else Outcome()

    return worker


def test_flow_retry_stands_in_for_a_task_without_its_own(flow) -> None:
    f = flow(HEADER + """
retry: {type: constant, interval: PT1S, maxAttempts: 3}
tasks:
  - {id: flaky, type: Log, message: x}
  - {id: once, type: Log, message: y, retry: {type: constant, interval: PT1S, maxAttempts: 1}}
""")
    attempts: dict[str, int] = {}

    def worker(task):
        attempts[task.task_id] = task.attempt
        return Outcome(State.FAILED, error="boom") if task.attempt < 3 else Outcome()

    sim = Simulation([f], worker)
    sim.create(f)
    sim.run()
    # flaky: two failures, success on the third attempt (the flow's policy); once: its own
    # policy allows one attempt, so the execution fails there.
    assert attempts == {"flaky": 3, "once": 1}
    assert sim.execution().state is State.FAILED


def test_allow_warning_turns_a_warning_into_success(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: warned, type: Log, message: x, allowWarning: true}
  - {id: plain, type: Log, message: y}
""")
    sim = Simulation([f], lambda task: Outcome(State.WARNING))
    sim.create(f)
    sim.run()
    assert sim.states() == {"warned": [State.SUCCESS], "plain": [State.WARNING]}
    assert sim.execution().state is State.WARNING


def test_finally_on_a_flowable_runs_after_its_tasks_whatever_their_outcome(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: seq
    type: Sequential
    tasks: [{id: bad, type: Log, message: x}]
    errors: [{id: handler, type: Log, message: e}]
    finally: [{id: cleanup, type: Log, message: f}]
  - {id: after, type: Log, message: never}
""")
    sim = Simulation([f], fails("bad"))
    sim.create(f)
    sim.run()
    assert sim.ran() == ["bad", "handler", "cleanup"]
    assert sim.states()["seq"] == [State.FAILED]
    assert sim.execution().state is State.FAILED


def test_after_execution_sees_the_outcome_and_cannot_change_it(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: bad, type: Log, message: x}
afterExecution:
  - {id: on-success, type: Log, message: ok, runIf: "{{ execution.state == 'SUCCESS' }}"}
  - {id: on-failure, type: Log, message: "{{ execution.state }}", runIf: "{{ execution.state == 'FAILED' }}"}
  - {id: broken, type: Log, message: x}
""")
    sim = Simulation([f], fails("bad", "broken"))
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert sim.ran() == ["bad", "on-failure", "broken"]
    assert [t.task["message"] for t in sim.worker_tasks if t.task_id == "on-failure"] == ["{{ execution.state }}"]
    assert next(t for t in sim.worker_tasks if t.task_id == "on-failure").context["execution"]["state"] == "FAILED"
    assert ex.state is State.FAILED and ex.error == "task bad failed: boom"

    ok = Simulation([f], fails("broken"))
    ok.create(f)
    ok.run()
    # The afterExecution task failed, yet the execution ends in the outcome of its tasks.
    assert ok.ran() == ["bad", "on-success", "broken"]
    assert ok.execution().state is State.SUCCESS


def test_sla_max_duration_fails_a_slow_execution_and_adds_its_labels(flow) -> None:
    f = flow(HEADER + """
sla:
  - {id: quick, type: MAX_DURATION, behavior: FAIL, duration: PT10S, labels: {sla: missed}}
tasks:
  - {id: slow, type: Sleep, duration: PT1M}
""")
    sim = Simulation([f], lambda task: None)
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED
    assert ex.error == "sla quick violated: the execution ran longer than PT10S"
    assert ex.labels == {"sla": "missed"}
    assert ex.ended_at - ex.created_at == timedelta(seconds=10)
    assert sim.controls and sim.states()["slow"] == [State.KILLED]


def test_sla_none_behavior_only_logs_and_the_execution_goes_on(flow) -> None:
    f = flow(HEADER + """
sla:
  - {id: soft, type: MAX_DURATION, behavior: NONE, duration: PT10S}
tasks:
  - {id: slow, type: Sleep, duration: PT1M}
""")
    sim = Simulation([f], lambda task: None)
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.RUNNING
    assert any(log.level == "WARN" and "sla soft violated" in log.message for log in sim.logs)
    sim.answer("slow")
    sim.run()
    assert sim.execution().state is State.SUCCESS


def test_sla_execution_assertion_decides_at_the_end(flow) -> None:
    f = flow(HEADER + """
sla:
  - id: has-rows
    type: EXECUTION_ASSERTION
    behavior: CANCEL
    assert: "{{ outputs.count.value | number > 0 }}"
tasks:
  - {id: count, type: Return, format: "{{ inputs.n }}"}
inputs:
  - {id: n, type: INT}
""")
    for n, state in ((3, State.SUCCESS), (0, State.CANCELLED)):
        sim = Simulation([f], lambda task: Outcome(outputs={"value": str(task.context["inputs"]["n"])}))
        sim.create(f, inputs={"n": n})
        sim.run()
        assert sim.execution().state is state, n
    assert "assertion is false" in (sim.execution().error or "")


def test_pause_tasks_run_once_resumed(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: wait
    type: Pause
    tasks: [{id: inside, type: Log, message: x}]
  - {id: after, type: Log, message: y}
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.PAUSED and sim.ran() == []
    sim.queue.append(ResumeExecution(execution_id="e1"))
    sim.run()
    assert sim.ran() == ["inside", "after"]
    assert sim.execution().state is State.SUCCESS
    assert sim.states()["wait"] == [State.SUCCESS]


def test_deprecated_input_forms_and_dotted_ids(flow) -> None:
    f = flow(HEADER + """
inputs:
  - {name: color, type: ENUM, values: [red, blue]}
  - {id: db.host, type: STRING}
  - {id: db.port, type: INT, defaults: 5432}
tasks:
  - {id: show, type: Log, message: "{{ inputs.color }} {{ inputs.db.host }}:{{ inputs.db.port }}"}
""")
    assert [i.id for i in f.inputs] == ["color", "db.host", "db.port"]
    sim = Simulation([f])
    sim.create(f, inputs={"color": "blue", "db.host": "pg"})
    sim.run()
    ex = sim.execution()
    assert ex.state is State.SUCCESS
    assert ex.inputs == {"color": "blue", "db": {"host": "pg", "port": 5432}}
    assert sim.worker_tasks[0].context["inputs"]["db"] == {"host": "pg", "port": 5432}


def test_task_defaults_is_the_older_name_of_plugin_defaults() -> None:
    f = parse_flow(HEADER + """
taskDefaults:
  - {type: io.kestra.plugin.core.log.Log, values: {level: WARN}}
tasks:
  - {id: a, type: Log, message: x}
""")
    assert f.task("a").level == "WARN"


def test_switch_cases_written_as_integers_match_the_rendered_value(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: route
    type: Switch
    value: "{{ 1 + 1 }}"
    cases:
      1: [{id: one, type: Log, message: x}]
      2: [{id: two, type: Log, message: y}]
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    assert sim.ran() == ["two"]


def test_old_type_names_and_subflow_outputs_rendered_in_the_child(flow) -> None:
    child = parse_flow("""
id: child
namespace: test
tasks:
  - {id: greet, type: Return, format: hello}
""")
    parent = flow("""
id: parent
namespace: test
tasks:
  - id: call
    type: io.kestra.core.tasks.flows.Flow
    namespace: test
    flowId: child
    outputs: {said: "{{ outputs.greet.value }}"}
  - {id: fetch, type: io.kestra.plugin.fs.http.Request, uri: "http://localhost/x"}
""")
    assert type(parent.task("fetch")).__name__ == "Request"
    sim = Simulation([child, parent], lambda task: Outcome(outputs={"value": "hello"}))
    sim.create(parent, "p1")
    sim.run()
    call = sim.execution("p1").task_runs[0]
    assert call.state is State.SUCCESS
    assert call.outputs["outputs"] == {"said": "hello"}


def test_wait_for_loops_until_the_condition_is_false(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.WaitFor
    condition: "{{ outputs.count.value != '3' }}"
    checkFrequency: {interval: PT2S}
    tasks:
      - {id: count, type: Return, format: "{{ outputs.wait.iterationCount }}"}
""")
    sim = Simulation([f], lambda task: Outcome(outputs={"value": str(task.context["outputs"]["wait"]["iterationCount"])}))
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.SUCCESS
    wait = ex.task_runs[0]
    assert wait.outputs == {"iterationCount": 3}
    counts = [tr for tr in ex.task_runs if tr.task_id == "count"]
    assert [tr.iteration for tr in counts] == [(0,), (1,), (2,)]
    # Rounds start checkFrequency.interval apart, on the executor's timer.
    assert counts[2].started_at - counts[0].started_at == timedelta(seconds=4)


def test_wait_for_stops_at_max_iterations_and_fails_when_asked(flow) -> None:
    text = HEADER + """
tasks:
  - id: wait
    type: WaitFor
    condition: "{{ true }}"
    failOnMaxReached: FAIL
    checkFrequency: {maxIterations: 2, interval: PT1S}
    tasks: [{id: poll, type: Log, message: x}]
"""
    for fail_on_max, state in (("true", State.FAILED), ("false", State.SUCCESS)):
        f = flow(text.replace("FAIL", fail_on_max))
        sim = Simulation([f])
        sim.create(f)
        sim.run()
        assert sim.ran() == ["poll", "poll"]
        assert sim.execution().state is state


def test_each_sequential_and_each_parallel_are_foreach_under_old_names(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: seq
    type: io.kestra.core.tasks.flows.EachSequential
    value: '["a", "b"]'
    tasks: [{id: one, type: Log, message: "{{ taskrun.value }}"}]
  - id: par
    type: io.kestra.plugin.core.flow.EachParallel
    value: [x, y, z]
    concurrent: 2
    tasks:
      - {id: left, type: Log, message: l}
      - {id: right, type: Log, message: r}
""")
    sim = Simulation([f], lambda task: None)
    sim.create(f)
    sim.run()
    assert sim.ran() == ["one"]
    sim.answer("one")
    sim.run()
    assert sim.ran() == ["one", "one"]
    sim.answer("one")
    sim.run()
    # Two values at a time, and both tasks of a value at once.
    assert sorted(sim.ran()[2:]) == ["left", "left", "right", "right"]
    for _ in range(4):
        task = next(iter(sim.held.values()))
        sim.answer(task.task_id)
        sim.run()
    assert sorted(sim.ran()[6:]) == ["left", "right"]
    while sim.held:
        sim.answer(next(iter(sim.held.values())).task_id)
        sim.run()
    assert sim.execution().state is State.SUCCESS
    assert sorted(tr.value for tr in sim.execution().task_runs if tr.task_id == "left") == ["x", "y", "z"]


def test_echo_is_a_log_and_labels_change_the_running_execution(flow) -> None:
    f = flow(HEADER + """
labels: {team: data}
inputs:
  - {id: env, type: STRING}
tasks:
  - {id: say, type: io.kestra.core.tasks.debugs.Echo, format: "hi {{ inputs.env }}", level: WARN}
  - id: tag
    type: io.kestra.plugin.core.execution.Labels
    labels: {env: "{{ inputs.env }}", team: platform}
  - {id: after, type: Log, message: "{{ labels.env }}"}
""")
    sim = Simulation([f])
    sim.create(f, inputs={"env": "prod"})
    sim.run()
    ex = sim.execution()
    assert ex.state is State.SUCCESS
    assert sim.ran() == ["say", "after"]
    assert ex.labels == {"team": "platform", "env": "prod"}
    assert sim.worker_tasks[1].context["labels"] == {"team": "platform", "env": "prod"}


def test_labels_refuse_system_labels(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: tag, type: io.kestra.plugin.core.execution.Labels, labels: [{key: system.readOnly, value: "true"}]}
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED
    assert "system labels cannot be set" in ex.task_runs[0].error


def test_error_logs_in_an_errors_handler_name_the_failed_task(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: bad, type: Log, message: x}
errors:
  - {id: alert, type: Log, message: "{{ errorLogs()[0].taskId }}: {{ errorLogs()[0].message }}"}
""")
    sim = Simulation([f], fails("bad"))
    sim.create(f)
    sim.run()
    alert = next(t for t in sim.worker_tasks if t.task_id == "alert")
    assert render(alert.task["message"], alert.context) == "bad: boom"
    # A task that does not call errorLogs() is not sent them.
    assert "harrier_error_logs" not in sim.worker_tasks[0].context


RESUME_FLOW = HEADER + """
tasks:
  - id: both
    type: Parallel
    tasks:
      - id: wait
        type: Pause
        onResume: [{id: approved, type: BOOLEAN}]
      - id: seq
        type: Sequential
        tasks:
          - {id: work, type: Log, message: x}
          - {id: resume, type: io.kestra.plugin.core.execution.Resume, inputs: {approved: "{{ 1 == 1 }}"}}
  - {id: after, type: Log, message: "{{ outputs.wait.onResume.approved }}"}
"""


def test_resume_task_resumes_its_own_paused_execution(flow) -> None:
    f = flow(RESUME_FLOW)
    sim = Simulation([f], lambda task: None)
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.PAUSED
    sim.answer("work")
    sim.run()
    runs = {tr.task_id: tr for tr in sim.execution().task_runs}
    assert runs["resume"].state is State.SUCCESS and runs["resume"].outputs == {"executionId": "e1"}
    assert runs["wait"].state is State.SUCCESS and runs["wait"].outputs == {"onResume": {"approved": True}}
    sim.answer("after")
    sim.run()
    assert sim.execution().state is State.SUCCESS
