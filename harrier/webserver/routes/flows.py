"""``/api/v1/flows``: deploy, read, list, search, delete and validate flows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from harrier.core.exceptions import FlowValidationError
from harrier.core.validation import validate_text
from harrier.indexer.queries import FlowFilter
from harrier.core.messages import FlowRecord
from harrier.webserver.deploy import SOURCE_NAME, DeployOutcome
from harrier.webserver.exceptions import NotFound, Unprocessable
from harrier.webserver.lookups import history_call
from harrier.webserver.schemas import ErrorBody, FlowBody, PageBody, ValidationBody, page_body, problem_body
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
_UPDATED = {200: {"model": FlowBody, "description": "Updated, or unchanged when the source is the same"}}
_NOT_FOUND = {404: {"model": ErrorBody, "description": "Unknown flow or revision"}}


@router.post(
    "", status_code=201, response_model=FlowBody, openapi_extra=_YAML_BODY,
    responses={**_UPDATED, **_INVALID},
)
async def deploy_flow(
    request: Request, response: Response, svc: Services = Depends(services)
) -> dict[str, Any]:
    """Create or update a flow from its YAML; a changed source becomes the next revision."""
    record, outcome = await svc.deployer.deploy(await _source(request))
    if outcome is not DeployOutcome.CREATED:
        response.status_code = 200
    return flow_body(svc, record)


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


@router.get("/search", response_model=PageBody)
async def search_flows(
    q: str | None = Query(None, description="Text searched in id, namespace, description and source"),
    namespace: str | None = None,
    page: int = Query(1, ge=1),
    size: int = Query(25, ge=1, le=1000),
    cursor: str | None = None,
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Search flows in Elasticsearch (as indexed from the flows topic)."""
    where = FlowFilter(namespace=namespace, text=q or None)
    return page_body(await history_call(svc.history.flows, where, page=page, size=size, cursor=cursor))


@router.get("/{namespace}/{id}", response_model=FlowBody, responses=_NOT_FOUND)
async def get_flow(
    namespace: str, id: str, revision: int | None = Query(None, ge=1), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The latest revision of a flow, or the one asked for with ``revision``."""
    record = svc.flows.latest(namespace, id)
    if record is None:
        raise NotFound(f"flow {namespace}/{id} not found")
    if revision is not None and revision != record.revision:
        older = svc.flows.revision(namespace, id, revision)
        if older is None:
            raise NotFound(f"flow {namespace}/{id} has no revision {revision} (latest is {record.revision})")
        record = older
    return flow_body(svc, record)


@router.get("/{namespace}/{id}/revisions", response_model=list[FlowBody], responses=_NOT_FOUND)
async def flow_revisions(namespace: str, id: str, svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """Every revision of a flow this webserver knows, oldest first."""
    records = svc.flows.revisions(namespace, id)
    if not records:
        raise NotFound(f"flow {namespace}/{id} not found")
    return [flow_body(svc, record) for record in records]


@router.put(
    "/{namespace}/{id}", response_model=FlowBody, openapi_extra=_YAML_BODY, responses={**_NOT_FOUND, **_INVALID}
)
async def update_flow(
    namespace: str, id: str, request: Request, svc: Services = Depends(services)
) -> dict[str, Any]:
    """Update an existing flow; the body must declare the same namespace and id."""
    record, _ = await svc.deployer.deploy(await _source(request), expect=(namespace, id))
    return flow_body(svc, record)


@router.delete("/{namespace}/{id}", status_code=204, responses=_NOT_FOUND)
async def delete_flow(namespace: str, id: str, svc: Services = Depends(services)) -> Response:
    """Delete a flow (a tombstone on the flows topic)."""
    await svc.deployer.delete(namespace, id)
    return Response(status_code=204)


def flow_body(svc: Services, record: FlowRecord) -> dict[str, Any]:
    """A record with what its source declares (description, labels, disabled)."""
    body: dict[str, Any] = {
        "namespace": record.namespace, "id": record.id, "revision": record.revision, "source": record.source
    }
    try:
        flow = svc.flows.parsed(record)
    except FlowValidationError:
        # Written by another tool or an older Harrier: still shown, with what is known.
        return body
    body.update(description=flow.description, labels=dict(flow.labels), disabled=flow.disabled)
    return body


async def _source(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unprocessable(f"the body is not UTF-8 text (byte {exc.start})") from None
