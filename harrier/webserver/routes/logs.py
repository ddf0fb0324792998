"""``/api/v1/logs``: search log lines, list an execution's, download them as text."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import StreamingResponse

from harrier.core.tasks.base import LogLevel
from harrier.indexer.queries import MAX_PAGE_SIZE, LogFilter
from harrier.webserver.lookups import history_call
from harrier.webserver.schemas import PageBody, page_body
from harrier.webserver.services import Services, services

__all__ = ["log_line", "router"]

router = APIRouter(prefix="/api/v1/logs", tags=["logs"])


@router.get("/search", response_model=PageBody)
async def search_logs(
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
    size: int = Query(100, ge=1, le=MAX_PAGE_SIZE),
    cursor: str | None = None,
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Log lines matching every given condition, oldest first."""
    where = LogFilter(
        execution_id=execution_id, task_run_id=task_run_id, task_id=task_id, namespace=namespace,
        flow_id=flow_id, min_level=min_level, start=start_date, end=end_date, text=q or None,
    )
    return page_body(await history_call(svc.history.logs, where, page=page, size=size, cursor=cursor))


@router.get("/{execution_id}", response_model=PageBody)
async def execution_logs(
    execution_id: str,
    task_run_id: str | None = Query(None, alias="taskRunId"),
    min_level: LogLevel | None = Query(None, alias="minLevel"),
    page: int = Query(1, ge=1),
    size: int = Query(100, ge=1, le=MAX_PAGE_SIZE),
    cursor: str | None = None,
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """One execution's log lines, oldest first."""
    where = LogFilter(execution_id=execution_id, task_run_id=task_run_id, min_level=min_level)
    return page_body(await history_call(svc.history.logs, where, page=page, size=size, cursor=cursor))


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
