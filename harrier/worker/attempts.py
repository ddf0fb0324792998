"""One attempt of a task run inside the worker, and the code that runs it in a lane.

An attempt ends exactly once: either its lane finishes it (`run_blocking` / `run_async`
return the result), or the loop ends it first (a kill, a timeout: a result is sent; a
shutdown: it is released unfinished) and the lane's late result is ignored. Only the loop
thread sets `Attempt.result` and `Attempt.released`.
"""

from __future__ import annotations

import asyncio
import traceback
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pydantic_core import to_jsonable_python

from harrier.core.messages import WorkerResult, WorkerTask
from harrier.core.states import State
from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import decode_envelope
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure
from harrier.worker.logs import FileLog
from harrier.worker.preparation import Prepared

__all__ = ["Attempt", "Source", "build_result", "run_async", "run_blocking", "salvage_result"]

# Where a record came from: topic, partition, offset.
Source = tuple[str, int, int]

LOG_FILE_NAME = "logs.txt"


@dataclass(eq=False, slots=True)
class Attempt:
    """A received WorkerTask on its way through the worker."""

    record: WorkerTask
    sources: list[Source] = field(default_factory=list)
    prepared: Prepared | None = None
    context: RunContext | None = None
    file_log: FileLog | None = None
    lane: Any = None
    handle: Future[Any] | None = None
    started_at: datetime | None = None
    deadline: float | None = None
    result: WorkerResult | None = None
    released: bool = False

    @property
    def ended(self) -> bool:
        """True once a result was sent or the attempt was given back unfinished."""
        return self.result is not None or self.released

    @property
    def label(self) -> str:
        """How messages name the task: `task 'fetch'`."""
        return f"task '{self.record.task_id}'"


def build_result(
    attempt: Attempt, state: State, outputs: dict[str, Any] | None = None, error: str | None = None,
    directory_files: dict[str, str] | None = None,
) -> WorkerResult:
    """A new result for `attempt` (the received record is left untouched)."""
    record = attempt.record
    now = datetime.now(timezone.utc)
    return WorkerResult(
        execution_id=record.execution_id,
        task_run_id=record.task_run_id,
        attempt=record.attempt,
        state=state,
        outputs=outputs or {},
        error=error,
        started_at=attempt.started_at or now,
        ended_at=now,
        directory_files=directory_files,
    )


def run_blocking(attempt: Attempt) -> WorkerResult:
    """Run a plain-function task in the calling (pool) thread; never raises."""
    prepared, context = _parts(attempt)
    try:
        returned = prepared.run(prepared.task, context)
    except TaskFailure as exc:
        return _failed(attempt, str(exc))
    except Exception as exc:  # noqa: BLE001 - a task's bug must become a FAILED result, not a dead worker
        return _crashed(attempt, exc)
    return _succeeded(attempt, returned)


async def run_async(attempt: Attempt) -> WorkerResult:
    """Run a coroutine task in the asyncio lane; cancellation propagates, anything else is a result."""
    prepared, context = _parts(attempt)
    try:
        returned = await prepared.run(prepared.task, context)  # type: ignore[misc]
    except asyncio.CancelledError:
        _close(attempt, store_log=False)
        raise
    except TaskFailure as exc:
        return _failed(attempt, str(exc))
    except Exception as exc:  # noqa: BLE001 - see run_blocking
        return _crashed(attempt, exc)
    return _succeeded(attempt, returned)


def _parts(attempt: Attempt) -> tuple[Prepared, RunContext]:
    assert attempt.prepared is not None and attempt.context is not None, "attempt launched before it was prepared"
    return attempt.prepared, attempt.context


def _succeeded(attempt: Attempt, returned: Any) -> WorkerResult:
    context = attempt.context
    assert context is not None
    try:
        outputs = {} if returned is None else to_jsonable_python(dict(returned), fallback=str)
    except (TypeError, ValueError) as exc:
        return _failed(attempt, f"its outputs cannot be serialized: {exc}")
    try:
        directory_files = context.finish_directory()
    except (TaskFailure, OSError) as exc:
        return _failed(attempt, f"the working directory could not be kept: {exc}")
    state = State.WARNING if context.warnings else State.SUCCESS
    for reason in context.warnings:
        context.logger.warn(reason)
    outputs = _close(attempt, store_log=True, outputs=outputs)
    return build_result(attempt, state, outputs, directory_files=directory_files)


def _failed(attempt: Attempt, cause: str) -> WorkerResult:
    message = f"{attempt.label}: {cause}"
    assert attempt.context is not None
    attempt.context.logger.error(message)
    return build_result(attempt, State.FAILED, _close(attempt, store_log=True), error=message)


def _crashed(attempt: Attempt, exc: Exception) -> WorkerResult:
    assert attempt.context is not None
    attempt.context.logger.debug("".join(traceback.format_exception(exc)))
    return _failed(attempt, f"{type(exc).__name__}: {exc}")


def _close(attempt: Attempt, *, store_log: bool, outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Store the log file (its URI goes to `logFile`), remove the working directory."""
    outputs = dict(outputs or {})
    context = attempt.context
    file_log = attempt.file_log
    try:
        if file_log is not None and context is not None:
            if store_log:
                outputs["logFile"] = file_log.store(context.storage, context.file_uri(LOG_FILE_NAME))
            else:
                file_log.discard()
    finally:
        if context is not None:
            context.close()
    return outputs


def salvage_result(value: bytes | None, error: BaseException | str) -> WorkerResult | None:
    """A FAILED result for an undecodable worker task whose task run can still be identified.

    The executor then learns why its task run failed instead of waiting for it forever;
    None when the record does not say which task run it was.
    """
    try:
        data = decode_envelope(value).data
        ids = {name: data[name] for name in ("execution_id", "task_run_id", "attempt", "task_id")}
        now = datetime.now(timezone.utc)
        return WorkerResult(
            execution_id=str(ids["execution_id"]),
            task_run_id=str(ids["task_run_id"]),
            attempt=int(ids["attempt"]),
            state=State.FAILED,
            error=f"task '{ids['task_id']}': the worker task could not be read: {error}",
            started_at=now,
            ended_at=now,
        )
    except (DecodeError, KeyError, TypeError, ValueError):
        return None
