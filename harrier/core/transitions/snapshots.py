"""Keeping execution snapshots under the changelog's message size limit.

The executor writes the whole execution to `execution-states` after every change, and the
topic's `max.message.bytes` follows `executor.max-snapshot-bytes` (8 MiB by default). An
execution that would outgrow it is failed instead of producing a record the broker refuses:
its running attempts are killed (worker controls), its children are killed, and the failed
snapshot drops what made it large: task-run outputs, ForEach items, flow outputs, inputs and
variables. The error names the size and the limit.
"""

from __future__ import annotations

from datetime import datetime

from harrier.core.executions import Execution, TaskRun
from harrier.core.flows import Flow
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel
from harrier.core.transitions.handlers import terminate
from harrier.core.transitions.indexes import Index
from harrier.core.transitions.plans import plan_for
from harrier.core.transitions.results import StepResult
from harrier.core.transitions.run import Run

__all__ = ["SnapshotSizer", "fail_oversize", "oversize_error"]


def oversize_error(size: int, limit: int) -> str:
    """The error an oversize execution fails with."""
    return (
        f"execution snapshot is {size} bytes, over the limit of {limit} bytes (executor.max-snapshot-bytes); "
        "the execution is failed and its outputs are dropped from the snapshot"
    )


def fail_oversize(execution: Execution, flow: Flow, size: int, limit: int, now: datetime) -> StepResult:
    """Fail `execution` (whose snapshot encodes to `size` > `limit` bytes) and slim it down."""
    run = Run(execution, plan_for(flow), now)
    error = oversize_error(size, limit)
    run.log(LogLevel.ERROR, error)
    if not run.state.terminal:
        terminate(run, State.FAILED)
    run.runs = [tr.replace(outputs=None, items=None) for tr in run.runs]
    run.fields.update(error=error, outputs=None, inputs={}, variables=None, ended_at=run.fields.get("ended_at", now))
    if run.state.terminal and run.state is not State.FAILED:
        run.move(State.FAILED)
    return run.result()


class SnapshotSizer:
    """An upper bound of `Execution.to_json()`'s length without encoding the whole execution.

    A snapshot made by a step carries the previous snapshot's per-task-run sizes and the
    positions the step changed, so sizing it encodes only those task runs; other executions
    (restored, built elsewhere) are measured in full once.
    """

    __slots__ = ()

    def _task_run(self, tr: TaskRun) -> int:
        return len(tr.__pydantic_serializer__.to_json(tr, exclude_none=True))

    def sizes(self, execution: Execution) -> list[int]:
        """The encoded size of each task run, derived from the previous snapshot's when known."""
        runs = execution.task_runs
        index = execution._index
        if isinstance(index, Index) and index.runs is runs:
            if index.sizes is not None:
                return index.sizes
            if index.base is not None and index.changed is not None:
                sizes = list(index.base)
                sizes.extend([0] * (len(runs) - len(sizes)))
                for i in index.changed:
                    sizes[i] = self._task_run(runs[i])
            else:
                sizes = [self._task_run(tr) for tr in runs]
            index.sizes = sizes
            return sizes
        return [self._task_run(tr) for tr in runs]

    def execution(self, execution: Execution) -> int:
        """At least the encoded size of `execution` (separators counted generously)."""
        rest = len(execution.__pydantic_serializer__.to_json(execution, exclude={"task_runs"}, exclude_none=True))
        runs = execution.task_runs
        return rest + sum(self.sizes(execution)) + len(runs) + len('"task_runs":[],')
