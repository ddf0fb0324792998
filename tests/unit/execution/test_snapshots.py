"""Snapshot encoding: wire shape, round trip, and the size of a 2,000-task-run execution."""

from __future__ import annotations

import orjson

from harrier.core.executions import Execution
from harrier.core.states import State
from harrier.core.transitions.simulation import EPOCH, Outcome, Simulation
from harrier.core.transitions.snapshots import SnapshotSizer, fail_oversize

HEADER = "id: f\nnamespace: test\n"
EIGHT_MIB = 8 * 1024 * 1024


def _foreach(flow, n: int):
    return flow(HEADER + f"""
tasks:
  - id: each
    type: ForEach
    values: "{{{{ range(1, {n}) }}}}"
    concurrencyLimit: 0
    tasks:
      - {{id: log, type: Log, message: "{{{{ taskrun.value }}}}"}}
""")


def test_snapshot_round_trips_and_is_snake_case(flow) -> None:
    sim = Simulation([_foreach(flow, 3)], worker=lambda t: Outcome(outputs={"n": t.value}))
    sim.create("test/f")
    sim.run()
    ex = sim.execution()
    raw = ex.to_json()
    data = orjson.loads(raw)
    assert {"flow_id", "flow_revision", "task_runs", "created_at", "ended_at"} <= set(data)
    assert {"task_id", "parent_task_run_id", "attempts", "history"} <= set(data["task_runs"][1])
    assert Execution.model_validate_json(raw) == ex


def test_two_thousand_task_runs_encode_well_under_the_limit(flow) -> None:
    sim = Simulation([_foreach(flow, 1999)], worker=lambda t: Outcome(outputs={"value": f"line {t.value}"}))
    sim.create("test/f")
    sim.run()
    ex = sim.execution()
    assert len(ex.task_runs) == 2000
    assert ex.state is State.SUCCESS
    size = len(ex.to_json())
    # ~450 bytes per task run with a small output: under an eighth of the 8 MiB default.
    assert size < EIGHT_MIB / 8, size
    assert Execution.model_validate_json(ex.to_json()) == ex


def test_oversize_execution_fails_with_a_clear_error_and_slims_down(flow) -> None:
    sim = Simulation([_foreach(flow, 10)], worker=lambda t: None if t.value == 10 else Outcome(outputs={"blob": "x" * 1000}))
    sim.create("test/f")
    sim.run()
    ex = sim.execution()
    size = len(ex.model_dump_json())
    result = fail_oversize(ex, sim.flows["test/f"], size, 5000, EPOCH)
    failed = result.execution
    assert failed.state is State.FAILED
    assert "over the limit of 5000 bytes" in failed.error
    assert all(tr.outputs is None for tr in failed.task_runs)
    assert len(failed.model_dump_json()) < size
    running = next(tr for tr in ex.task_runs if tr.task_id == "log" and tr.value == 10)
    assert [c.task_run_id for c in result.controls] == [running.id]
    assert result.logs[0].message == failed.error


def test_sizer_bounds_the_encoded_size_tightly(seed) -> None:
    flow = seed("nested_foreach.yml")
    sim = Simulation([flow], worker=lambda t: Outcome(outputs={"v": [t.value, None, "\u00e9"]}))
    sim.create(flow)
    sizer = SnapshotSizer()
    sim.run()
    ex = sim.execution()
    real = len(ex.to_json())
    assert real <= sizer.execution(ex) <= real + 2
    assert sizer.execution(ex) == sizer.execution(ex)
