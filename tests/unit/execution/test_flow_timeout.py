"""The flow-level `timeout`: a timer of the execution itself, armed when it starts RUNNING,
that stops the execution like a kill and ends it FAILED; rebuilt from the snapshot on restore."""

from __future__ import annotations

from datetime import timedelta

from harrier.core import validate_text
from harrier.core.executions import Timer
from harrier.core.messages import CreateExecution, FlowRecord, KillExecution, RestartExecution
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel
from harrier.core.transitions.simulation import EPOCH, Outcome, Simulation
from harrier.executor.flows import FlowTable
from harrier.executor.processing import InputRecord
from harrier.executor.processor import ExecutionProcessor
from harrier.executor.store import PartitionStore
from harrier.topics.records import FLOW_RECORD, WORKER_TASK, encode_command

HEADER = "id: f\nnamespace: test\ntimeout: PT1M\n"
SLOW = HEADER + """
tasks:
  - id: par
    type: Parallel
    tasks:
      - {id: slow, type: Sleep, duration: PT1H}
      - {id: flaky, type: Log, message: f, retry: {type: constant, interval: PT1H, maxAttempts: 3}}
  - {id: never, type: Log, message: n}
errors:
  - {id: alert, type: Log, message: a}
finally:
  - {id: cleanup, type: Log, message: c}
"""


def _flow_timer(execution) -> Timer:
    [timer] = [t for t in execution.timers if t.kind == "flow-timeout"]
    return timer


def test_flow_timeout_is_armed_when_the_execution_starts_running(flow) -> None:
    f = flow(SLOW)
    assert f.timeout == timedelta(minutes=1)
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run(timers=False)
    timer = _flow_timer(sim.execution())
    assert timer.task_run_id is None and timer.due == EPOCH + timedelta(minutes=1)
    # The snapshot leaves the missing task run out, like every other empty field.
    assert b'{"kind":"flow-timeout","due":' in sim.execution().to_json()


def test_flow_timeout_kills_running_tasks_and_ends_failed(flow) -> None:
    f = flow(SLOW)
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run(timers=False)
    sim.answer("flaky", Outcome(State.FAILED))
    sim.run(timers=False)
    assert sim.states()["flaky"] == [State.RETRYING]
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED
    assert ex.error == "flow timeout PT1M exceeded"
    assert [c.state for c in ex.history][-3:] == [State.RUNNING, State.KILLING, State.FAILED]
    assert ex.ended_at == EPOCH + timedelta(minutes=1)
    slow = next(tr for tr in ex.task_runs if tr.task_id == "slow")
    # Only the attempt still on a worker gets a kill control; the retrying one has none.
    assert [c.task_run_id for c in sim.controls] == [slow.id]
    assert slow.attempts[-1].state is State.KILLED and slow.attempts[-1].ended_at == ex.ended_at
    assert all(tr.state is State.KILLED for tr in ex.task_runs)
    assert ex.timers == ()
    # Stopped like a kill: nothing more starts, errors and finally included.
    assert sim.ran() == ["slow", "flaky"]
    assert any(log.level is LogLevel.ERROR and log.message == ex.error for log in sim.logs)


def test_flow_timeout_kills_child_executions(flow) -> None:
    child = flow("id: child\nnamespace: test\ntasks:\n  - {id: work, type: Sleep, duration: PT1H}\n")
    parent = flow(HEADER + "tasks:\n  - {id: call, type: Subflow, namespace: test, flowId: child}\n")
    sim = Simulation([parent, child], worker=lambda t: None)
    sim.create(parent, "p")
    sim.run()
    ex = sim.execution("p")
    assert ex.state is State.FAILED and ex.error == "flow timeout PT1M exceeded"
    child_id = ex.task_runs[0].outputs["executionId"]
    assert sim.execution(child_id).state is State.KILLED
    assert [c.execution_id for c in sim.controls] == [child_id]


def test_an_execution_that_ends_in_time_drops_its_flow_timeout(flow) -> None:
    f = flow(HEADER + "tasks:\n  - {id: quick, type: Log, message: q}\n")
    sim = Simulation([f])
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.SUCCESS and sim.execution().timers == ()
    untimed = flow("id: g\nnamespace: test\ntasks:\n  - {id: held, type: Log, message: h}\n")
    sim = Simulation([untimed], worker=lambda t: None)
    sim.create(untimed)
    sim.run()
    assert untimed.timeout is None and sim.execution().timers == ()


def test_paused_time_counts_and_resuming_keeps_the_deadline(flow) -> None:
    f = flow(HEADER + """
tasks:
  - {id: wait, type: Pause, pauseDuration: PT20S}
  - {id: approve, type: Pause}
""")
    sim = Simulation([f])
    sim.create(f)
    sim.run(timers=False)
    sim.advance()  # the first pause ends at 20 s: PAUSED -> RUNNING -> PAUSED again
    assert _flow_timer(sim.execution()).due == EPOCH + timedelta(minutes=1)
    sim.run()
    ex = sim.execution()
    assert ex.state is State.FAILED and ex.ended_at == EPOCH + timedelta(minutes=1)
    assert sim.states() == {"wait": [State.SUCCESS], "approve": [State.KILLED]}


def test_queued_time_does_not_count(flow) -> None:
    f = flow(HEADER + "concurrency: {limit: 1}\ntasks:\n  - {id: held, type: Log, message: h}\n")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f, "e1")
    sim.create(f, "e2")
    sim.run(timers=False)
    assert sim.execution("e2").state is State.QUEUED and sim.execution("e2").timers == ()
    sim.now = EPOCH + timedelta(seconds=50)
    sim.answer("held")
    sim.run(timers=False)
    assert sim.execution("e1").state is State.SUCCESS
    assert sim.execution("e2").state is State.RUNNING
    assert _flow_timer(sim.execution("e2")).due == EPOCH + timedelta(seconds=110)


def test_restart_after_a_flow_timeout_starts_the_clock_again(flow) -> None:
    f = flow(HEADER + "tasks:\n  - {id: slow, type: Sleep, duration: PT1H}\n")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run()
    assert sim.execution().state is State.FAILED
    sim.now = EPOCH + timedelta(minutes=6)
    sim.queue.append(RestartExecution(execution_id="e1"))
    sim.run(timers=False)
    ex = sim.execution()
    assert ex.state is State.RUNNING and ex.error is None
    assert _flow_timer(ex).due == EPOCH + timedelta(minutes=7)
    assert [t.attempt for t in sim.worker_tasks] == [1, 2]
    sim.answer("slow")
    sim.run()
    assert sim.execution().state is State.SUCCESS


def test_a_kill_before_the_deadline_wins(flow) -> None:
    f = flow(HEADER + "tasks:\n  - {id: slow, type: Sleep, duration: PT1H}\n")
    sim = Simulation([f], worker=lambda t: None)
    sim.create(f)
    sim.run(timers=False)
    sim.send(KillExecution(execution_id="e1"))
    ex = sim.execution()
    assert ex.state is State.KILLED and ex.error is None and ex.timers == ()


def test_flow_timeout_is_rebuilt_on_restore_and_fires_there() -> None:
    source = HEADER + "tasks:\n  - {id: slow, type: Sleep, duration: PT1H}\n"
    table = FlowTable()
    record = FlowRecord(namespace="test", id="f", revision=1, source=source)
    table.apply(record.uid, FLOW_RECORD.encode(record))
    clock = [EPOCH]
    processor = ExecutionProcessor(table, 8 * 1024 * 1024, timedelta(hours=1), clock=lambda: clock[0])
    first = PartitionStore(0, processor.codec)
    first.begin()
    create = CreateExecution(execution_id="e1", namespace="test", flow_id="f", created_at=EPOCH)
    value = processor.decode("executions", encode_command(create))
    out = processor.process(InputRecord("executions", "e1", value, 0, 1, 0), first)
    first.complete()
    task = WORKER_TASK.decode(next(o for o in out if o.topic == "worker-tasks").value)
    due = (EPOCH + timedelta(minutes=1)).timestamp()
    assert first.timers.next_due() == due
    # Another process takes the partition over: it knows only the changelog.
    restored = PartitionStore(0, processor.codec)
    for key, data in first.changelog():
        restored.restore(key, data)
    restored.rebuild_timers()
    assert restored.timers.next_due() == due
    clock[0] = EPOCH + timedelta(minutes=1)
    restored.begin()
    out = processor.punctuate("e1", clock[0], restored)
    restored.complete()
    assert restored.get("e1").state is State.FAILED
    assert restored.get("e1").error == "flow timeout PT1M exceeded"
    assert [(o.topic, o.key) for o in out if o.topic == "worker-controls"] == [("worker-controls", task.task_run_id.encode())]


def test_flow_timeout_must_be_a_positive_duration() -> None:
    def problems(value: str) -> list[str]:
        _, found = validate_text(f"id: f\nnamespace: test\ntimeout: {value}\ntasks:\n  - {{id: a, type: Log, message: a}}\n", "t.yml")
        return [str(p) for p in found]

    assert problems("PT0S") == ["t.yml:3:10: timeout: timeout must be positive, got PT0S"]
    assert problems("-PT5S") == ["t.yml:3:10: timeout: timeout must be positive, got -PT5S"]
    assert problems("30") == ["t.yml:3:10: timeout: expected an ISO-8601 duration like PT30S, got integer 30"]
    assert problems('"{{ inputs.limit }}"') == [
        "t.yml:3:10: timeout: invalid duration '{{ inputs.limit }}': expected ISO-8601 like PT30S, PT5M or P1D"
    ]
    assert problems("PT1H30M") == []
