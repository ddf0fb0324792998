"""``/api/v1/logs`` (and ``/api/v1/{tenant}/logs``): Kestra's logs API, search log lines, list an
execution's, download them as text; each line is Kestra's LogEntry
(``harrier.webserver.kestra.log_entry_body``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.responses import StreamingResponse

from harrier.core.tasks.base import LogLevel
from harrier.indexer.queries import MAX_PAGE_SIZE, LogFilter
from harrier.webserver.exceptions import Unprocessable
from harrier.webserver.filters import read_filters
from harrier.webserver.kestra import log_entry_body, paged_body
from harrier.webserver.lookups import history_call
from harrier.webserver.schemas import ErrorBody, KestraLogEntry, KestraLogs
from harrier.webserver.services import Services, services

__all__ = ["log_line", "router"]

router = APIRouter(prefix="/logs", tags=["logs"])

_FILTERS = frozenset({"namespace", "flowId", "executionId", "taskId", "taskRunId", "level", "startDate", "endDate", "q"})


@router.get("/search", response_model=KestraLogs, responses={422: {"model": ErrorBody, "description": "Bad filter"}})
async def search_logs(
    request: Request,
    q: str | None = Query(
        None, description='Searched in each line\'s message: words, "phrases", prefix* and -exclusions, all must hold'
    ),
    namespace: str | None = None,
    flow_id: str | None = Query(None, alias="flowId"),
    execution_id: str | None = Query(None, alias="executionId"),
    task_id: str | None = Query(None, alias="taskId"),
    task_run_id: str | None = Query(None, alias="taskRunId"),
    min_level: LogLevel | None = Query(None, alias="minLevel"),
    start_date: datetime | None = Query(None, alias="startDate"),
    end_date: datetime | None = Query(None, alias="endDate"),
    page: int = Query(1, ge=1),
    size: int = Query(10, ge=1, le=MAX_PAGE_SIZE),
    cursor: str | None = Query(None, description="Harrier's: the nextCursor of the previous page"),
    svc: Services = Depends(services),
) -> Response:
    """Log lines matching every condition, oldest first; Kestra's ``filters[field][OPERATION]``
    work for namespace, flowId, executionId, taskId, taskRunId, level, startDate, endDate and q."""
    given = read_filters(request.query_params.multi_items(), _FILTERS)
    level = given.min_level or min_level
    if level is not None and level not in LogLevel.__members__:
        raise Unprocessable(f"filter level: {level!r} is not one of {', '.join(LogLevel.__members__)}")
    where = LogFilter(
        execution_id=given.execution_id or execution_id, task_run_id=given.task_run_id or task_run_id,
        task_id=given.task_id or task_id, namespace=given.namespace or namespace, flow_id=given.flow_id or flow_id,
        min_level=level, start=given.start or start_date, end=given.end or end_date, text=given.text or q or None,
    )
    found = await history_call(svc.history.logs, where, page=page, size=size, cursor=cursor)
    body = paged_body([log_entry_body(line) for line in found.items], found.total.value, found.next_cursor)
    body["type"] = "CURSOR" if cursor is not None else "OFFSET"
    return _json(body)


@router.get("/{execution_id}", response_model=list[KestraLogEntry])
async def execution_logs(
    execution_id: str,
    min_level: LogLevel | None = Query(None, alias="minLevel"),
    task_run_id: str | None = Query(None, alias="taskRunId"),
    task_id: str | None = Query(None, alias="taskId"),
    attempt: int | None = Query(None, ge=0, description="This attempt only (from 0, as Kestra counts)"),
    svc: Services = Depends(services),
) -> Response:
    """Every log line of an execution, oldest first, as Kestra lists them (one list, no pages)."""
    where = LogFilter(execution_id=execution_id, task_run_id=task_run_id, task_id=task_id, min_level=min_level)
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await history_call(svc.history.logs, where, size=MAX_PAGE_SIZE, cursor=cursor)
        entries.extend(log_entry_body(line) for line in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    if attempt is not None:
        entries = [entry for entry in entries if entry["attemptNumber"] == attempt]
    return _json(entries)


@router.get(
    "/{execution_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "One line per log entry"}
    },
)
async def download_logs(
    execution_id: str,
    task_run_id: str | None = Query(None, alias="taskRunId"),
    min_level: LogLevel | None = Query(None, alias="minLevel"),
    svc: Services = Depends(services),
) -> StreamingResponse:
    """Every log line of an execution as plain text, one per line."""
    where = LogFilter(execution_id=execution_id, task_run_id=task_run_id, min_level=min_level)
    # The first page is read now so an Elasticsearch outage is a 503, not a cut stream.
    first = await history_call(svc.history.logs, where, size=MAX_PAGE_SIZE)

    async def lines() -> AsyncIterator[bytes]:
        page = first
        while True:
            yield "".join(log_line(item) for item in page.items).encode()
            if page.next_cursor is None:
                return
            page = await history_call(svc.history.logs, where, size=MAX_PAGE_SIZE, cursor=page.next_cursor)

    # Header values are latin-1: keep the file name to characters every client accepts.
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", execution_id)[:200] + ".log"
    return StreamingResponse(
        lines(), media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def log_line(entry: dict[str, Any]) -> str:
    """``timestamp LEVEL [task_id] message``; continuation lines of a message are indented."""
    task = f" [{entry['task_id']}]" if entry.get("task_id") else ""
    message = str(entry.get("message", "")).replace("\n", "\n    ")
    return f"{entry.get('timestamp', '')} {entry.get('level', '')}{task} {message}\n"


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")
