"""Commands on a live execution: pause and resume, kill, restart; duplicates and late events."""

from __future__ import annotations

from datetime import timedelta

from harrier.core.messages import CreateExecution, KillExecution, RestartExecution, ResumeExecution
from harrier.core.states import State
from harrier.core.transitions import TimersDue, step
from harrier.core.transitions.simulation import EPOCH, Outcome, Simulation

HEADER = "id: f\nnamespace: test\n"


def _manual_pause(flow):
    return flow(HEADER + """
tasks:
  - {id: before, type: Log, message: b}
  - id: approve
    type: Pause
    onResume:
      - {id: ok, type: BOOL}
  - {id: after, type: Log, message: "{{ outputs.approve.onResume.ok }}"}
""")


def test_pause_without_duration_waits_for_resume_with_inputs(flow) -> None:
    f = _manual_pause(flow)
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.PAUSED
    assert sim.states()["approve"] == [State.PAUSED]
    assert ex.timers == ()
    sim.queue.append(ResumeExecution(execution_id="e1", inputs={"ok": "true"}))
    sim.run()
    ex = sim.execution()
    assert ex.state is State.SUCCESS
    assert [c.state for c in ex.history] == [State.CREATED, State.RUNNING, State.PAUSED, State.RUNNING, State.SUCCESS]
    assert sim.worker_tasks[-1].context["outputs"] == {"approve": {"onResume": {"ok": True}}}


def test_resume_with_invalid_inputs_or_when_not_paused_is_dropped(flow) -> None:
    f = _manual_pause(flow)
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    result = sim.send(ResumeExecution(execution_id="e1", inputs={"ok": "maybe"}))
    assert not result.changed and "resume inputs of approve" in result.dropped
    assert sim.execution().state is State.PAUSED
    sim.send(ResumeExecution(execution_id="e1", inputs={"ok": False}))
    sim.run()
    again = sim.send(ResumeExecution(execution_id="e1"))
    assert not again.changed and "not PAUSED" in again.dropped


def test_pause_with_duration_resumes_by_timer(seed) -> None:
    flow = seed("pause_resume.yml")
    sim = Simulation([flow])
    sim.create(flow)
    sim.run(timers=False)
    ex = sim.execution()
    assert ex.state is State.PAUSED
    assert ex.next_timer == EPOCH + timedelta(minutes=5)
    sim.run()
    assert sim.execution().state is State.SUCCESS
    assert sim.now == EPOCH + timedelta(minutes=5)


def test_pause_duration_behaviors(flow) -> None:
    expected = {"WARN": State.WARNING, "FAIL": State.FAILED, "CANCEL": State.CANCELLED}
    for behavior, final in expected.items():
        f = flow(HEADER + f"""
tasks:
  - {{id: wait, type: Pause, pauseDuration: PT1M, behavior: {behavior}}}
""")
        sim = Simulation([f])
        sim.create(f)
        sim.run()
        assert sim.execution().state is final, behavior


def test_kill_stops_running_tasks_and_ends_killed(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: par
    type: Parallel
    tasks:
      - {id: a, type: Log, message: a, retry: {type: constant, interval: PT1H, maxAttempts: 3}}
      - {id: b, type: Log, message: b}
  - {id: never, type: Log, message: n}
""")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run()
    sim.answer("a", Outcome(State.FAILED))
    sim.run(timers=False)
    assert sim.states()["a"] == [State.RETRYING]
    sim.kill()
    sim.run()
    ex = sim.execution()
    assert ex.state is State.KILLED
    assert [c.state for c in ex.history][-2:] == [State.KILLING, State.KILLED]
    b = next(tr for tr in ex.task_runs if tr.task_id == "b")
    assert [c.task_run_id for c in sim.controls] == [b.id]
    assert b.attempts[-1].state is State.KILLED
    assert all(tr.state is State.KILLED for tr in ex.task_runs)
    assert ex.timers == ()
    assert "never" not in sim.ran()
    late = sim.send(KillExecution(execution_id="e1"))
    assert not late.changed


def test_restart_retries_failed_task_runs_with_a_new_attempt(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: a, type: Log, message: a}
  - id: seq
    type: Sequential
    tasks:
      - {id: b, type: Log, message: b}
  - {id: c, type: Log, message: c}
errors:
  - {id: handler, type: Log, message: h}
""")
    outcomes = {"b": [Outcome(State.FAILED), Outcome()]}
    sim = Simulation([f], worker=lambda t: outcomes.get(t.task_id, [Outcome()]).pop(0) if t.task_id in outcomes else Outcome())
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.FAILED
    assert sim.ran() == ["a", "b", "handler"]
    sim.queue.append(RestartExecution(execution_id="e1"))
    sim.run()
    ex = sim.execution()
    assert ex.state is State.SUCCESS
    assert sim.ran() == ["a", "b", "handler", "b", "c"]
    b = next(tr for tr in ex.task_runs if tr.task_id == "b")
    assert [a.state for a in b.attempts] == [State.FAILED, State.SUCCESS]
    assert "handler" not in sim.states()
    assert sim.states()["seq"] == [State.SUCCESS]
    assert ex.ended_at is not None and ex.error is None


def test_restart_of_a_killed_execution_and_of_a_successful_one(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: a, type: Log, message: a}
""")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run()
    sim.kill()
    sim.run()
    sim.queue.append(RestartExecution(execution_id="e1"))
    sim.run()
    assert sim.execution().state is State.RUNNING
    sim.answer("a")
    sim.run()
    assert sim.execution().state is State.SUCCESS
    refused = sim.send(RestartExecution(execution_id="e1"))
    assert not refused.changed and "only FAILED or KILLED" in refused.dropped


def test_duplicate_results_and_creates_are_dropped(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: a, type: Log, message: a}
  - {id: b, type: Log, message: b}
""")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run()
    task = sim.held["" + next(iter(sim.held))]
    result = sim.result_of(task, Outcome())
    first = sim.send(result)
    assert first.changed and len(first.worker_tasks) == 1
    second = sim.send(result)
    assert not second.changed and second.worker_tasks == []
    assert sim.execution() is first.execution
    create = CreateExecution(execution_id="e1", namespace="test", flow_id="f", created_at=EPOCH)
    assert not sim.send(create).changed
    stale = sim.result_of(task.model_copy(update={"attempt": 7}), Outcome())
    assert not sim.send(stale).changed


def test_events_for_unknown_execution_or_without_due_timer_are_dropped(flow) -> None:
    f = flow(HEADER + "tasks:\n  - {id: a, type: Log, message: a}\n")
    assert not step(None, f, KillExecution(execution_id="x"), EPOCH).changed
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run()
    assert not sim.send(TimersDue("e1")).changed


def test_step_never_mutates_its_input(flow) -> None:
    f = flow(HEADER + """
tasks:
  - id: each
    type: ForEach
    values: [1, 2]
    tasks:
      - {id: a, type: Log, message: a}
""")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run()
    before = sim.execution()
    dumped = before.model_dump()
    sim.answer("a")
    sim.run()
    assert sim.execution() is not before
    assert before.model_dump() == dumped


def test_kill_while_paused_and_restart_of_a_failed_subflow(flow) -> None:
    f = _manual_pause(flow)
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    sim.kill()
    sim.run()
    ex = sim.execution()
    assert ex.state is State.KILLED
    assert sim.states()["approve"] == [State.KILLED]
    child = flow("id: child\nnamespace: test\ntasks:\n  - {id: work, type: Log, message: w}\n")
    parent = flow(HEADER + "tasks:\n  - {id: call, type: Subflow, namespace: test, flowId: child}\n")
    outcomes = [Outcome(State.FAILED), Outcome()]
    sim = Simulation([parent, child], worker=lambda t: outcomes.pop(0))
    sim.create(parent, "p")
    sim.run()
    first_child = sim.execution("p").task_runs[0].outputs["executionId"]
    assert sim.execution("p").state is State.FAILED
    sim.queue.append(RestartExecution(execution_id="p"))
    sim.run()
    ex = sim.execution("p")
    assert ex.state is State.SUCCESS
    second_child = ex.task_runs[0].outputs["executionId"]
    assert second_child != first_child
    assert sim.execution(second_child).state is State.SUCCESS
