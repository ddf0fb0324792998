"""``/api/v1/executions``: run a flow, read and search executions, kill, resume, restart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from harrier.core.messages import CreateExecution
from harrier.indexer.queries import ExecutionFilter
from harrier.webserver import commands
from harrier.webserver.exceptions import Unprocessable
from harrier.webserver.launch import launch, new_execution_id, parse_labels, resolve_flow, wait_for_end
from harrier.webserver.lookups import current_snapshot, history_call
from harrier.webserver.schemas import CommandAccepted, ErrorBody, ExecutionBody, PageBody, page_body
from harrier.webserver.services import Services, services
from harrier.webserver.uploads import read_inputs

__all__ = ["created_body", "router"]

router = APIRouter(prefix="/api/v1/executions", tags=["executions"])

_INPUTS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "description": "Input values by input id: a JSON object, or a form (files for FILE inputs).",
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "multipart/form-data": {"schema": {"type": "object", "additionalProperties": True}},
        },
    }
}
_NOT_FOUND = {404: {"model": ErrorBody, "description": "Unknown execution"}}
_CONFLICT = {409: {"model": ErrorBody, "description": "The execution is not in a state that allows it"}}
_COMMAND: dict[str, Any] = {
    "status_code": 202, "response_model": CommandAccepted, "responses": {**_NOT_FOUND, **_CONFLICT}
}


@router.get("/search", response_model=PageBody)
async def search_executions(
    namespace: str | None = Query(None, description="This namespace and its children"),
    flow_id: str | None = Query(None, alias="flowId"),
    state: list[str] = Query([], description="Any of these states"),
    labels: list[str] = Query([], description="key:value, all must match"),
    start_date: datetime | None = Query(None, alias="startDate"),
    end_date: datetime | None = Query(None, alias="endDate"),
    page: int = Query(1, ge=1),
    size: int = Query(25, ge=1, le=1000),
    cursor: str | None = None,
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Executions from Elasticsearch, newest first."""
    where = ExecutionFilter(
        namespace=namespace, flow_id=flow_id, states=tuple(s.upper() for s in state),
        labels=parse_labels(labels), start=start_date, end=end_date,
    )
    return page_body(await history_call(svc.history.executions, where, page=page, size=size, cursor=cursor))


@router.get("/{execution_id}", response_model=ExecutionBody, responses=_NOT_FOUND)
async def get_execution(execution_id: str, svc: Services = Depends(services)) -> Response:
    """The latest snapshot of an execution."""
    data, _ = await current_snapshot(svc, execution_id)
    return Response(data, media_type="application/json")


@router.delete("/{execution_id}/kill", **_COMMAND)
async def kill_execution(execution_id: str, svc: Services = Depends(services)) -> dict[str, str]:
    """Kill a running execution (its task runs and child executions)."""
    await commands.kill(svc, execution_id)
    return {"execution_id": execution_id, "command": "kill", "message": "kill requested"}


@router.post("/{execution_id}/resume", **_COMMAND)
async def resume_execution(
    execution_id: str, request: Request, svc: Services = Depends(services)
) -> dict[str, str]:
    """Resume a PAUSED execution; an optional JSON object body carries resume inputs."""
    supplied = await read_inputs(request)
    if supplied.files:
        raise Unprocessable("resume inputs must be a JSON object; files are not supported here")
    await commands.resume(svc, execution_id, supplied.values)
    return {"execution_id": execution_id, "command": "resume", "message": "resume requested"}


@router.post("/{execution_id}/restart", **_COMMAND)
async def restart_execution(execution_id: str, svc: Services = Depends(services)) -> dict[str, str]:
    """Restart a FAILED or KILLED execution from its failed task runs."""
    await commands.restart(svc, execution_id)
    return {"execution_id": execution_id, "command": "restart", "message": "restart requested"}


@router.post(
    "/{namespace}/{id}", response_model=ExecutionBody, openapi_extra=_INPUTS_BODY,
    responses={404: {"model": ErrorBody, "description": "Unknown flow or revision"},
               409: {"model": ErrorBody, "description": "The flow is disabled"},
               422: {"model": ErrorBody, "description": "Invalid inputs, each message naming its input"}},
)
async def create_execution(
    namespace: str,
    id: str,
    request: Request,
    revision: int | None = Query(None, ge=1, description="Run this revision instead of the latest"),
    labels: list[str] = Query([], description="key:value labels of the execution"),
    wait: bool = Query(False, description="Answer when the execution ended, with its outputs"),
    timeout: float = Query(600.0, gt=0, le=3600, description="Longest wait, in seconds"),
    svc: Services = Depends(services),
) -> Response:
    """Start an execution of a flow with inputs and labels, optionally waiting for its end."""
    record = resolve_flow(svc, namespace, id, revision)
    execution_labels = parse_labels(labels)
    supplied = await read_inputs(request)
    if not wait:
        return _json(created_body(await launch(svc, record, supplied, execution_labels)))
    execution_id = new_execution_id()
    # Follow before sending, so the terminal snapshot cannot slip by before we listen.
    follower = svc.fanout.follow(execution_id)
    try:
        command = await launch(svc, record, supplied, execution_labels, execution_id)
    except BaseException:
        svc.fanout.unfollow(follower)
        raise
    final = await wait_for_end(svc, follower, min(timeout, svc.options.max_wait_s))
    if final is None:
        return _json(created_body(command))
    return Response(final, media_type="application/json")


def created_body(command: CreateExecution) -> dict[str, Any]:
    """What a create answers before the executor wrote the first snapshot."""
    return {
        "id": command.execution_id,
        "namespace": command.namespace,
        "flow_id": command.flow_id,
        "flow_revision": command.revision,
        "state": "CREATED",
        "inputs": command.model_dump(mode="json")["inputs"],
        "labels": command.labels,
        "outputs": None,
        "created_at": command.created_at.isoformat(),
    }


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")
