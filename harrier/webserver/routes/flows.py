"""``/api/v1/flows`` (and ``/api/v1/{tenant}/flows``): Kestra's flows API (create and update from
YAML, read, list a namespace, search, revisions, delete) answering Kestra's FlowWithSource
(``harrier.webserver.kestra.flow_body``), and Harrier's own: validate, every flow, the
namespaces, a flow's task graph."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from harrier.core.exceptions import FlowValidationError
from harrier.core.flows import Flow
from harrier.core.messages import FlowRecord
from harrier.core.topology import flow_graph
from harrier.core.validation import validate_text
from harrier.indexer.queries import FlowFilter
from harrier.webserver.deploy import SOURCE_NAME, DeployOutcome
from harrier.webserver.exceptions import NotFound, Unprocessable
from harrier.webserver.filters import read_filters
from harrier.webserver.kestra import flow_body, paged_body, utc
from harrier.webserver.launch import parsed_flow, resolve_flow
from harrier.webserver.lookups import history_call
from harrier.webserver.schemas import (
    ErrorBody,
    GraphBody,
    KestraFlow,
    KestraFlows,
    NamespaceBody,
    ValidationBody,
    problem_body,
)
from harrier.webserver.services import Services, services

__all__ = ["router"]

router = APIRouter(prefix="/flows", tags=["flows"])

_YAML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The flow as YAML.",
        "content": {"application/x-yaml": {"schema": {"type": "string"}}},
    }
}
_INVALID = {422: {"model": ErrorBody, "description": "Invalid flow: every problem with line, column and path"}}
_NOT_FOUND = {404: {"model": ErrorBody, "description": "Unknown tenant, flow or revision"}}
_FILTERS = frozenset({"namespace", "q"})
_STALE = {409: {"model": ErrorBody, "description": "The stored source no longer validates"}}


@router.post(
    "", status_code=201, response_model=KestraFlow, openapi_extra=_YAML_BODY,
    responses={200: {"model": KestraFlow, "description": "Updated, or unchanged when the source is the same"},
               **_INVALID},
)
async def create_flow(request: Request, svc: Services = Depends(services)) -> Response:
    """Create a flow from its YAML (201); a flow that exists is updated (200), the
    ``X-Deploy-Outcome`` header saying created, updated or unchanged."""
    record, outcome = await svc.deployer.deploy(await _source(request))
    status = 201 if outcome is DeployOutcome.CREATED else 200
    return _json(_flow(svc, record), status, {"X-Deploy-Outcome": outcome.value})


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


@router.get("", response_model=list[KestraFlow])
async def list_flows(
    namespace: str | None = Query(None, description="Only this namespace and its children"),
    svc: Services = Depends(services),
) -> Response:
    """The latest revision of every deployed flow, by namespace and id."""
    return _json([_flow(svc, record) for record in svc.flows.flows(namespace)])


@router.get("/namespaces", response_model=list[NamespaceBody])
async def flow_namespaces(svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """Every namespace that holds flows, with how many (its own, not its children's), by name."""
    counts = Counter(record.namespace for record in svc.flows.flows())
    return [{"namespace": namespace, "count": count} for namespace, count in sorted(counts.items())]


@router.get("/search", response_model=KestraFlows, responses={422: {"model": ErrorBody, "description": "Bad filter"}})
async def search_flows(
    request: Request,
    q: str | None = Query(None, description="Text searched in id, namespace, description and source"),
    namespace: str | None = Query(None, description="This namespace and its children"),
    page: int = Query(1, ge=1),
    size: int = Query(10, ge=1, le=1000),
    cursor: str | None = Query(None, description="Harrier's: the nextCursor of the previous page, past 10,000 results"),
    svc: Services = Depends(services),
) -> Response:
    """Flows by namespace and id (by relevance with ``q``), as Kestra's PagedResults; each adds
    ``lastExecution``, its newest execution (``{id, state, startDate}``) or null."""
    given = read_filters(request.query_params.multi_items(), _FILTERS)
    where = FlowFilter(namespace=given.namespace or namespace, text=given.text or q or None)
    found = await history_call(svc.history.flows, where, page=page, size=size, cursor=cursor)
    keys = [(hit["namespace"], hit["id"]) for hit in found.items]
    latest = await history_call(svc.stats.latest, keys)
    results = []
    for hit, key in zip(found.items, keys, strict=True):
        record = FlowRecord(namespace=hit["namespace"], id=hit["id"], revision=hit.get("revision") or 1,
                            source=hit.get("source") or "")
        last = latest.get(key)
        results.append({
            **_flow(svc, record),
            "lastExecution": None if last is None else {
                "id": last["id"], "state": last["state"], "startDate": utc(last.get("start_date")),
            },
        })
    return _json(paged_body(results, found.total.value, found.next_cursor))


@router.get("/{namespace}", response_model=list[KestraFlow])
async def list_namespace_flows(namespace: str, svc: Services = Depends(services)) -> Response:
    """The latest revision of every flow of a namespace (and its children), by id."""
    return _json([_flow(svc, record) for record in svc.flows.flows(namespace)])


@router.get("/{namespace}/{id}", response_model=KestraFlow, responses=_NOT_FOUND)
async def get_flow(
    namespace: str,
    id: str,
    revision: int | None = Query(None, ge=1),
    source: bool = Query(True, description="Kestra's; Harrier always includes the source"),
    svc: Services = Depends(services),
) -> Response:
    """The latest revision of a flow, or the one asked for with ``revision``."""
    return _json(_flow(svc, resolve_flow(svc, namespace, id, revision)))


@router.get("/{namespace}/{id}/graph", response_model=GraphBody, responses={**_NOT_FOUND, **_STALE})
async def flow_topology(
    namespace: str, id: str, revision: int | None = Query(None, ge=1), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The flow's tasks as nodes (grouped by flowable parent) and edges in run order, for drawing."""
    return flow_graph(parsed_flow(svc, resolve_flow(svc, namespace, id, revision)))


@router.get("/{namespace}/{id}/revisions", response_model=list[KestraFlow], responses=_NOT_FOUND)
async def flow_revisions(namespace: str, id: str, svc: Services = Depends(services)) -> Response:
    """Every revision of a flow this webserver knows, oldest first."""
    records = svc.flows.revisions(namespace, id)
    if not records:
        raise NotFound(f"flow {namespace}/{id} not found")
    return _json([_flow(svc, record) for record in records])


@router.put("/{namespace}/{id}", response_model=KestraFlow, openapi_extra=_YAML_BODY, responses={**_NOT_FOUND, **_INVALID})
async def update_flow(namespace: str, id: str, request: Request, svc: Services = Depends(services)) -> Response:
    """Update an existing flow; the body must declare the same namespace and id."""
    record, outcome = await svc.deployer.deploy(await _source(request), expect=(namespace, id))
    return _json(_flow(svc, record), 200, {"X-Deploy-Outcome": outcome.value})


@router.delete("/{namespace}/{id}", status_code=204, responses=_NOT_FOUND)
async def delete_flow(namespace: str, id: str, svc: Services = Depends(services)) -> Response:
    """Delete a flow (a tombstone on the flows topic)."""
    await svc.deployer.delete(namespace, id)
    return Response(status_code=204)


def _flow(svc: Services, record: FlowRecord) -> dict[str, Any]:
    parsed: Flow | None
    try:
        parsed = svc.flows.parsed(record)
    except FlowValidationError:
        # Written by another tool or an older Harrier: still shown, with what the record holds.
        parsed = None
    return flow_body(record, parsed, datetime.now(timezone.utc))


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


async def _source(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unprocessable(f"the body is not UTF-8 text (byte {exc.start})") from None
