"""``/api/v1/flows``: deploy, read, list, search, delete and validate flows; their namespaces and task graphs."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from harrier.core.exceptions import FlowValidationError
from harrier.core.flowinfo import input_json, trigger_json
from harrier.core.messages import FlowRecord
from harrier.core.topology import flow_graph
from harrier.core.validation import validate_text
from harrier.indexer.queries import FlowFilter
from harrier.webserver.deploy import SOURCE_NAME, DeployOutcome
from harrier.webserver.exceptions import NotFound, Unprocessable
from harrier.webserver.launch import parsed_flow, resolve_flow
from harrier.webserver.lookups import history_call
from harrier.webserver.schemas import (
    ErrorBody, FlowBody, FlowDetailBody, GraphBody, NamespaceBody, PageBody, ValidationBody, page_body, problem_body,
)
from harrier.webserver.services import Services, services

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/flows", tags=["flows"])

_YAML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The flow as YAML.",
        "content": {"application/x-yaml": {"schema": {"type": "string"}}},
    }
}
_INVALID = {
    422: {"model": ErrorBody, "description": "Invalid flow: every problem with line, column and path"}
}
_UPDATED = {200: {"model": FlowDetailBody, "description": "Updated, or unchanged when the source is the same"}}
_NOT_FOUND = {404: {"model": ErrorBody, "description": "Unknown flow or revision"}}
_STALE = {409: {"model": ErrorBody, "description": "The stored source no longer validates"}}


@router.post(
    "", status_code=201, response_model=FlowDetailBody, openapi_extra=_YAML_BODY,
    responses={**_UPDATED, **_INVALID},
)
async def deploy_flow(
    request: Request, response: Response, svc: Services = Depends(services)
) -> dict[str, Any]:
    """Create or update a flow from its YAML; a changed source becomes the next revision."""
    record, outcome = await svc.deployer.deploy(await _source(request))
    if outcome is not DeployOutcome.CREATED:
        response.status_code = 200
    # 200 is both an update and an unchanged source; the header tells them apart.
    response.headers["X-Deploy-Outcome"] = outcome.value
    return flow_body(svc, record, _now())


@router.post("/validate", response_model=ValidationBody, openapi_extra=_YAML_BODY)
async def validate_flow(request: Request) -> dict[str, Any]:
    """Validate a flow without deploying it; the problems list line, column and path."""
    flow, problems = validate_text(await _source(request), SOURCE_NAME)
    return {
        "valid": flow is not None,
        "namespace": flow.namespace if flow else None,
        "id": flow.id if flow else None,
        "problems": [problem_body(p) for p in problems],
    }


@router.get("", response_model=list[FlowBody])
async def list_flows(
    namespace: str | None = Query(None, description="Only this namespace and its children"),
    svc: Services = Depends(services),
) -> list[dict[str, Any]]:
    """The latest revision of every deployed flow, by namespace and id."""
    return [flow_body(svc, record) for record in svc.flows.flows(namespace)]


@router.get("/namespaces", response_model=list[NamespaceBody])
async def flow_namespaces(svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """Every namespace that holds flows, with how many (its own, not its children's), by name."""
    counts = Counter(record.namespace for record in svc.flows.flows())
    return [{"namespace": namespace, "count": count} for namespace, count in sorted(counts.items())]


@router.get("/search", response_model=PageBody)
async def search_flows(
    q: str | None = Query(None, description="Text searched in id, namespace, description and source"),
    namespace: str | None = None,
    page: int = Query(1, ge=1),
    size: int = Query(25, ge=1, le=1000),
    cursor: str | None = None,
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Search flows in Elasticsearch (as indexed from the flows topic); each item carries
    ``last_execution``, the flow's newest execution (``{id, state, start_date}``) or null."""
    where = FlowFilter(namespace=namespace, text=q or None)
    found = await history_call(svc.history.flows, where, page=page, size=size, cursor=cursor)
    keys = [(item["namespace"], item["id"]) for item in found.items]
    latest = await history_call(svc.stats.latest, keys)
    for item, key in zip(found.items, keys):
        item["last_execution"] = latest.get(key)
    return page_body(found)


@router.get("/{namespace}/{id}", response_model=FlowDetailBody, responses=_NOT_FOUND)
async def get_flow(
    namespace: str, id: str, revision: int | None = Query(None, ge=1), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The latest revision of a flow, or the one asked for with ``revision``."""
    return flow_body(svc, resolve_flow(svc, namespace, id, revision), _now())


@router.get("/{namespace}/{id}/graph", response_model=GraphBody, responses={**_NOT_FOUND, **_STALE})
async def flow_topology(
    namespace: str, id: str, revision: int | None = Query(None, ge=1), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The flow's tasks as nodes (grouped by flowable parent) and edges in run order, for drawing."""
    return flow_graph(parsed_flow(svc, resolve_flow(svc, namespace, id, revision)))


@router.get("/{namespace}/{id}/revisions", response_model=list[FlowDetailBody], responses=_NOT_FOUND)
async def flow_revisions(namespace: str, id: str, svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """Every revision of a flow this webserver knows, oldest first."""
    records = svc.flows.revisions(namespace, id)
    if not records:
        raise NotFound(f"flow {namespace}/{id} not found")
    now = _now()
    return [flow_body(svc, record, now) for record in records]


@router.put(
    "/{namespace}/{id}", response_model=FlowDetailBody, openapi_extra=_YAML_BODY, responses={**_NOT_FOUND, **_INVALID}
)
async def update_flow(
    namespace: str, id: str, request: Request, svc: Services = Depends(services)
) -> dict[str, Any]:
    """Update an existing flow; the body must declare the same namespace and id."""
    record, _ = await svc.deployer.deploy(await _source(request), expect=(namespace, id))
    return flow_body(svc, record, _now())


@router.delete("/{namespace}/{id}", status_code=204, responses=_NOT_FOUND)
async def delete_flow(namespace: str, id: str, svc: Services = Depends(services)) -> Response:
    """Delete a flow (a tombstone on the flows topic)."""
    await svc.deployer.delete(namespace, id)
    return Response(status_code=204)


def flow_body(svc: Services, record: FlowRecord, now: datetime | None = None) -> dict[str, Any]:
    """A record with what its source declares (description, labels, disabled); given ``now``,
    also its inputs and its triggers with their next fire time after ``now``."""
    body: dict[str, Any] = {
        "namespace": record.namespace, "id": record.id, "revision": record.revision, "source": record.source
    }
    if now is not None:
        body.update(inputs=[], triggers=[])
    try:
        flow = svc.flows.parsed(record)
    except FlowValidationError:
        # Written by another tool or an older Harrier: still shown, with what is known.
        return body
    body.update(description=flow.description, labels=dict(flow.labels), disabled=flow.disabled)
    if now is not None:
        body["inputs"] = [input_json(declared) for declared in flow.inputs or []]
        body["triggers"] = [trigger_json(trigger, now, flow.disabled) for trigger in flow.triggers or []]
    return body


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _source(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unprocessable(f"the body is not UTF-8 text (byte {exc.start})") from None
