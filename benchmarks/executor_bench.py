"""Executor logic without Kafka: how many steps per second the pure `step` takes.

Whole executions are driven by simulated worker results (every attempt succeeds at once):
the 2-task seed flow and the ForEach 160 x Log seed flow (all 160 iterations in flight).
Two figures per flow:

- `step` only: the execution logic (the time inside `harrier.core.transitions.step`);
- `step + encode`: plus what the bridge does per record: the snapshot size bound, every
  emitted worker task's envelope, and the snapshot encoding for the changelog once per
  execution end (the store encodes each changed key once per 25 ms commit, not per record).

Times are process CPU time (`time.process_time`), so a busy shared machine does not
inflate them.

Usage: python -m benchmarks.executor_bench [--executions 300] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.results import write_section
from harrier.core import parse_flow
from harrier.core.flows import Flow
from harrier.core.messages import CreateExecution, WorkerResult
from harrier.core.transitions import step
from harrier.core.transitions.simulation import Outcome, Simulation
from harrier.core.transitions.snapshots import SnapshotSizer
from harrier.executor.processor import ExecutionCodec
from harrier.topics.records import WORKER_TASK

SEEDS = Path(__file__).resolve().parent.parent / "tests" / "flows" / "valid"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _drive(flow: Flow, execution_id: str, encode: bool, codec: ExecutionCodec, sizer: SnapshotSizer) -> tuple[int, float]:
    """Run one execution to its end; return (steps, seconds spent in step [+ encoding])."""
    create = CreateExecution(execution_id=execution_id, namespace=flow.namespace, flow_id=flow.id, created_at=NOW)
    spent = 0.0
    started = time.process_time()
    result = step(None, flow, create, NOW)
    if encode:
        sizer.execution(result.execution)
        for task in result.worker_tasks:
            WORKER_TASK.encode(task)
    spent += time.process_time() - started
    steps = 1
    pending = list(result.worker_tasks)
    execution = result.execution
    while pending:
        task = pending.pop()
        event = WorkerResult(
            execution_id=execution_id,
            task_run_id=task.task_run_id,
            attempt=task.attempt,
            state="SUCCESS",
            outputs={"value": task.task_id},
            started_at=NOW,
            ended_at=NOW,
        )
        started = time.process_time()
        result = step(execution, flow, event, NOW)
        if encode:
            sizer.execution(result.execution)
            for new in result.worker_tasks:
                WORKER_TASK.encode(new)
            if result.execution.state.terminal:
                codec.encode(result.execution)
        spent += time.process_time() - started
        steps += 1
        execution = result.execution
        pending.extend(result.worker_tasks)
    if execution is None or not execution.state.terminal:
        raise RuntimeError(f"{flow.uid}: execution did not end")
    return steps, spent


def measure(flow: Flow, executions: int, encode: bool) -> tuple[int, float, float]:
    """(steps per execution, steps/s, executions/s) over `executions` runs after a warm-up."""
    codec = ExecutionCodec(tombstone_grace=timedelta(hours=1))
    sizer = SnapshotSizer()
    _drive(flow, "warm-up", encode, codec, sizer)
    total_steps = 0
    total_time = 0.0
    per_execution = 0
    for i in range(executions):
        steps, spent = _drive(flow, f"e{i}", encode, codec, sizer)
        per_execution = steps
        total_steps += steps
        total_time += spent
    return per_execution, total_steps / total_time, executions / total_time


def snapshot_size(task_runs: int = 2000) -> tuple[int, int, int]:
    """(task runs, encoded bytes, zlib-1 bytes) of a finished ForEach execution of that size."""
    flow = parse_flow(
        "id: big\nnamespace: bench\ntasks:\n  - id: each\n    type: ForEach\n"
        f"    values: \"{{{{ range(1, {task_runs - 1}) }}}}\"\n    concurrencyLimit: 0\n"
        "    tasks:\n      - {id: log, type: Log, message: \"{{ taskrun.value }}\"}\n"
    )
    sim = Simulation([flow], worker=lambda t: Outcome(outputs={"value": f"line {t.value}"}))
    sim.create(flow)
    sim.run()
    execution = sim.execution()
    data = ExecutionCodec(timedelta(hours=1)).encode(execution)
    return len(execution.task_runs), len(data), len(zlib.compress(data, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=300)
    parser.add_argument("--write", nargs="?", const="benchmarks/RESULTS.md", default=None)
    args = parser.parse_args()
    flows = {
        "2-task flow (two_tasks.yml)": (parse_flow((SEEDS / "two_tasks.yml").read_text()), args.executions),
        "5 x If (kestra_benchmark02)": (
            parse_flow((SEEDS / "kestra_benchmark02_complex_flow.yml").read_text()),
            args.executions,
        ),
        "ForEach 160 x Log (foreach_160_log.yml)": (
            parse_flow((SEEDS / "foreach_160_log.yml").read_text()),
            max(1, args.executions // 10),
        ),
    }
    rows = ["| flow | steps / execution | step only: steps/s | executions/s | step + encode: steps/s | executions/s |",
            "|---|---|---|---|---|---|"]
    for name, (flow, count) in flows.items():
        steps, pure_rate, pure_exec = measure(flow, count, encode=False)
        _, enc_rate, enc_exec = measure(flow, count, encode=True)
        row = f"| {name} | {steps} | {pure_rate:,.0f} | {pure_exec:,.1f} | {enc_rate:,.0f} | {enc_exec:,.1f} |"
        rows.append(row)
        print(row, flush=True)
    runs, raw, packed = snapshot_size()
    size_line = (
        f"Snapshot size: a finished {runs:,}-task-run execution (one small output each) encodes to "
        f"{raw / 1024:,.0f} KiB ({packed / 1024:,.0f} KiB with zlib level 1, a stand-in for the topic's lz4), "
        f"{raw / runs:,.0f} bytes per task run, against the 8 MiB default `executor.max-snapshot-bytes`. "
        "Past the limit the execution is failed with an error naming size and limit, and its last "
        "snapshot drops task outputs (`harrier/core/transitions/snapshots.py`)."
    )
    print(size_line)
    body = (
        "Pure execution logic, one process, no Kafka: whole executions driven by simulated worker\n"
        "results (every attempt succeeds at once; ForEach runs all 160 iterations at once).\n"
        "`step + encode` adds the bridge's per-record work: snapshot size bound, worker-task\n"
        "envelopes, one snapshot encoding per execution end. Process CPU time, so a busy\n"
        "machine does not inflate the figures.\n\n" + "\n".join(rows) + "\n\n" + size_line
    )
    if args.write:
        command = f"python -m benchmarks.executor_bench --executions {args.executions} --write"
        write_section(args.write, "Executor logic", command, body)


if __name__ == "__main__":
    main()
