"""Kestra's logs API: search log lines, list an execution's, download them as text.

Mounted under ``/api/v1/{tenant}``; each line is Kestra's LogEntry
(``harrier.webserver.kestra.log_entry_body``).
"""

from __future__ import annotations

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
from harrier.webserver.routes.logs import download_logs
from harrier.webserver.schemas import ErrorBody, KestraLogEntry, KestraLogs
from harrier.webserver.services import Services, services

__all__ = ["router"]

router = APIRouter(prefix="/logs", tags=["logs (Kestra)"])

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


router.add_api_route(
    "/{execution_id}/download", download_logs, methods=["GET"], response_class=StreamingResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "One line per log entry"}},
    summary="Download Logs", operation_id="kestra_download_logs",
)


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")
