"""``/api/v1/executions`` (and ``/api/v1/{tenant}/executions``): Kestra's executions API, search,
read, create, follow, kill, resume, restart and delete; every body is Kestra's shape,
rendered by ``harrier.webserver.kestra``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from harrier.indexer.queries import ExecutionFilter
from harrier.webserver import commands
from harrier.webserver.deletion import delete_execution
from harrier.webserver.exceptions import Unavailable, Unprocessable
from harrier.webserver.fanout import Event, terminal_state
from harrier.webserver.filters import read_filters
from harrier.webserver.kestra import created_body, execution_body, execution_hit_body, log_entry_body, paged_body
from harrier.webserver.launch import launch, new_execution_id, parse_labels, resolve_flow, wait_for_end
from harrier.webserver.lookups import current_snapshot, find_snapshot, history_call
from harrier.webserver.payloads import snapshot_state
from harrier.webserver.routes.follow import follow_response
from harrier.webserver.schemas import ErrorBody, KestraCommandAccepted, KestraExecution, KestraExecutions
from harrier.webserver.services import Services, services
from harrier.webserver.uploads import read_inputs

__all__ = ["KestraFrames", "router"]

router = APIRouter(prefix="/executions", tags=["executions"])

_FILTERS = frozenset({"namespace", "flowId", "state", "labels", "startDate", "endDate"})
# The search returns each snapshot without what a listing does not show (task runs can be thousands).
_SEARCH_EXCLUDES = ("execution.task_runs", "execution.timers", "execution.variables", "execution.outputs")
_INPUTS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "description": "Input values by input id: a form as Kestra's clients send it (files for FILE inputs), or a JSON object.",
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "additionalProperties": True}},
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
        },
    }
}
_NOT_FOUND = {404: {"model": ErrorBody, "description": "Unknown tenant or execution"}}
_CONFLICT = {409: {"model": ErrorBody, "description": "The execution is not in a state that allows it"}}
_COMMAND: dict[str, Any] = {
    "status_code": 202, "response_model": KestraCommandAccepted, "responses": {**_NOT_FOUND, **_CONFLICT}
}


@router.get("/search", response_model=KestraExecutions, responses={422: {"model": ErrorBody, "description": "Bad filter"}})
async def search_executions(
    request: Request,
    namespace: str | None = Query(None, description="This namespace and its children"),
    flow_id: str | None = Query(None, alias="flowId"),
    state: list[str] = Query([], description="Any of these states"),
    labels: list[str] = Query([], description="key:value, all must match"),
    start_date: datetime | None = Query(None, alias="startDate"),
    end_date: datetime | None = Query(None, alias="endDate"),
    page: int = Query(1, ge=1),
    size: int = Query(10, ge=1, le=1000),
    cursor: str | None = Query(None, description="Harrier's: the nextCursor of the previous page, past 10,000 results"),
    svc: Services = Depends(services),
) -> Response:
    """Executions newest first, as Kestra's PagedResults; Kestra's ``filters[field][OPERATION]``
    parameters work for namespace, flowId, state, labels, startDate and endDate."""
    given = read_filters(request.query_params.multi_items(), _FILTERS)
    where = ExecutionFilter(
        namespace=given.namespace or namespace,
        flow_id=given.flow_id or flow_id,
        states=tuple(s.upper() for s in [*state, *given.states]),
        labels={**parse_labels(labels), **given.labels},
        start=given.start or start_date,
        end=given.end or end_date,
    )
    found = await history_call(
        svc.history.executions, where, page=page, size=size, cursor=cursor, excludes=_SEARCH_EXCLUDES
    )
    now = _now()
    return _json(paged_body([execution_hit_body(hit, now) for hit in found.items], found.total.value, found.next_cursor))


@router.get("/{execution_id}", response_model=KestraExecution, responses=_NOT_FOUND)
async def get_execution(execution_id: str, svc: Services = Depends(services)) -> Response:
    """The latest snapshot of an execution."""
    _, snapshot = await current_snapshot(svc, execution_id)
    # In a thread: a snapshot of thousands of task runs takes tens of ms to render.
    return _json(await run_in_threadpool(execution_body, snapshot, _now()))


@router.get(
    "/{execution_id}/follow",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
              "description": "Kestra's stream: an Execution per change (the last one id end); Harrier adds "
                             "named log events (event: log, a LogEntry each), and each frame's id is the "
                             "stream's position: reconnect with it in Last-Event-ID to miss nothing"},
        **_NOT_FOUND,
    },
)
async def follow_execution(
    execution_id: str,
    last_event_id: str | None = Header(
        None, alias="Last-Event-ID", max_length=100,
        description="The id of the last frame a reconnecting client got: the stream resumes after it",
    ),
    svc: Services = Depends(services),
) -> StreamingResponse:
    """Stream the execution as it changes, and its log lines, until it ends."""
    return await follow_response(svc, execution_id, KestraFrames(), last_event_id)


@router.delete("/{execution_id}/kill", **_COMMAND)
async def kill_execution(execution_id: str, svc: Services = Depends(services)) -> dict[str, str]:
    """Kill a running execution (its task runs and child executions)."""
    await commands.kill(svc, execution_id)
    return {"executionId": execution_id, "command": "kill", "message": "kill requested"}


@router.post("/{execution_id}/resume", **_COMMAND)
async def resume_execution(execution_id: str, request: Request, svc: Services = Depends(services)) -> dict[str, str]:
    """Resume a PAUSED execution; a form or a JSON object carries the resume inputs."""
    supplied = await read_inputs(request)
    if supplied.files:
        raise Unprocessable("resume inputs cannot be files in Harrier")
    await commands.resume(svc, execution_id, supplied.values)
    return {"executionId": execution_id, "command": "resume", "message": "resume requested"}


@router.post("/{execution_id}/restart", **_COMMAND)
async def restart_execution(execution_id: str, svc: Services = Depends(services)) -> dict[str, str]:
    """Restart a FAILED or KILLED execution from its failed task runs."""
    await commands.restart(svc, execution_id)
    return {"executionId": execution_id, "command": "restart", "message": "restart requested"}


# Kestra 2.0's paths for the same commands (its Python SDK 2.x calls these).
for _path, _endpoint, _method in (
    ("/{execution_id}/actions/kill", kill_execution, "DELETE"),
    ("/{execution_id}/actions/resume", resume_execution, "POST"),
    ("/{execution_id}/actions/restart", restart_execution, "POST"),
):
    router.add_api_route(_path, _endpoint, methods=[_method], name=f"{_endpoint.__name__}_action", **_COMMAND)


@router.delete("/{execution_id}", status_code=204, responses={**_NOT_FOUND, **_CONFLICT})
async def delete_one_execution(
    execution_id: str,
    delete_logs: bool = Query(True, alias="deleteLogs"),
    delete_storage: bool = Query(True, alias="deleteStorage"),
    svc: Services = Depends(services),
) -> Response:
    """Delete an ended execution, with its log lines and its files unless told otherwise."""
    await delete_execution(svc, execution_id, logs=delete_logs, files=delete_storage)
    return Response(status_code=204)


@router.post(
    "/{namespace}/{id}", response_model=KestraExecution, openapi_extra=_INPUTS_BODY,
    responses={404: {"model": ErrorBody, "description": "Unknown tenant, flow or revision"},
               409: {"model": ErrorBody, "description": "The flow is disabled"},
               422: {"model": ErrorBody, "description": "Invalid inputs, each message naming its input"}},
)
async def create_execution(
    namespace: str,
    id: str,
    request: Request,
    revision: int | None = Query(None, ge=1, description="Run this revision instead of the latest"),
    labels: list[str] = Query([], description="key:value labels of the execution"),
    wait: bool = Query(False, description="Answer when the execution ended"),
    timeout: float = Query(600.0, gt=0, le=3600, description="Harrier's: the longest wait, in seconds"),
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", max_length=200,
        description="Harrier's: a retry with the same key starts no second execution; it answers the first one",
    ),
    svc: Services = Depends(services),
) -> Response:
    """Start an execution of a flow with inputs and labels, optionally waiting for its end."""
    record = resolve_flow(svc, namespace, id, revision)
    execution_labels = parse_labels(labels)
    supplied = await read_inputs(request)
    execution_id = new_execution_id(namespace, id, idempotency_key)
    # Follow before sending, so the terminal snapshot cannot slip by before we listen.
    follower = svc.fanout.follow(execution_id) if wait else None
    try:
        existing = await _existing(svc, execution_id) if idempotency_key else None
        if existing is not None and (not wait or terminal_state(snapshot_state(existing)[1])):
            # A retry of a request whose execution exists: its answer, not a second one.
            return _json(await run_in_threadpool(execution_body, orjson.loads(existing), _now()))
        command = await launch(svc, record, supplied, execution_labels, execution_id)
    except BaseException:
        if follower is not None:
            svc.fanout.unfollow(follower)
        raise
    if follower is None:
        return _json(created_body(command, _now()))
    final = await wait_for_end(svc, follower, min(timeout, svc.options.max_wait_s))
    if final is None:
        return _json(created_body(command, _now()))
    return _json(await run_in_threadpool(execution_body, orjson.loads(final), _now()))


async def _existing(svc: Services, execution_id: str) -> bytes | None:
    """The snapshot of a keyed create's execution if it exists. Best effort: when Elasticsearch
    cannot say, the create is sent again and the executor drops it as a copy."""
    try:
        return await find_snapshot(svc, execution_id)
    except Unavailable:
        return None


class KestraFrames:
    """Kestra's follow stream: each snapshot an Execution (the default event type, what
    Kestra's UI listens to), log lines as named ``log`` events, and the last Execution again
    with ``id: end``. The other frames' ids are the stream's positions, not Kestra's
    ``progress``: Kestra's UI reads only ``end``."""

    def event(self, event: Event) -> bytes | None:
        """The frame of a snapshot or of a log line, without its id."""
        if event.kind == "execution":
            return b"data: " + self._body(event) + b"\n\n"
        if event.kind == "log":
            if event.body is None:
                event.body = orjson.dumps(log_entry_body(orjson.loads(event.data)))
            return b"event: log\ndata: " + event.body + b"\n\n"
        return None

    def end(self, last: Event | None) -> bytes:
        """The last Execution, marked as the end."""
        return b"id: end\ndata: " + (b"{}" if last is None else self._body(last)) + b"\n\n"

    @staticmethod
    def _body(event: Event) -> bytes:
        if event.body is None:
            event.body = orjson.dumps(execution_body(orjson.loads(event.data), _now()))
        return event.body


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")
