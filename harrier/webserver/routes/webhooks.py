"""``/api/v1/executions/webhook/{namespace}/{id}/{key}`` (and under ``/api/v1/{tenant}``): start an
execution from a Webhook trigger; it answers Kestra's Execution (``harrier.webserver.kestra``).

Authenticated by the key alone (the API's auth does not apply). The matching is the
scheduler's ``webhook_execution``; this module only turns HTTP into its arguments.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response

from harrier.core.exceptions import FlowValidationError
from harrier.core.flows import Flow
from harrier.core.triggers import Webhook
from harrier.scheduler.webhooks import find_webhook, webhook_execution
from harrier.topics.records import encode_command
from harrier.webserver.kestra import created_body, execution_body
from harrier.webserver.launch import wait_for_end
from harrier.webserver.schemas import ErrorBody, KestraExecution
from harrier.webserver.services import Services, services

__all__ = ["router"]

router = APIRouter(prefix="/executions/webhook", tags=["webhooks"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown flow, or no webhook trigger with that key"},
    409: {"model": ErrorBody, "description": "The flow or the trigger is disabled"},
}


async def webhook(namespace: str, id: str, key: str, request: Request, svc: Services = Depends(services)) -> Response:
    """Start an execution of the flow whose Webhook trigger has this key; the body, headers
    and query string become ``trigger.body``, ``trigger.headers`` and ``trigger.parameters``."""
    command = webhook_execution(
        lambda ns, flow_id: _latest(svc, ns, flow_id),
        namespace, id, key,
        body=_body(await request.body(), request.headers.get("content-type", "")),
        headers=dict(request.headers),
        query=dict(request.query_params),
        now=datetime.now(timezone.utc),
        # A retry with the same key gets the same execution id: the executor drops the copy.
        request_id=request.headers.get("idempotency-key") or None,
    )
    flow = _latest(svc, namespace, id)
    trigger = find_webhook(flow, key) if flow is not None else None
    topic = svc.topics["executions"]
    if not isinstance(trigger, Webhook) or not trigger.wait:
        await svc.producer.send(topic, command.execution_id, encode_command(command))
        return _json(created_body(command, _now()))
    follower = svc.fanout.follow(command.execution_id)
    try:
        await svc.producer.send(topic, command.execution_id, encode_command(command))
    except BaseException:
        svc.fanout.unfollow(follower)
        raise
    final = await wait_for_end(svc, follower, svc.options.max_wait_s)
    if final is None:
        return _json(created_body(command, _now()))
    if trigger.return_outputs:
        outputs = orjson.loads(final).get("outputs") or {}
        return _json(outputs)
    return _json(execution_body(orjson.loads(final), _now()))


for _method in ("GET", "POST", "PUT"):
    router.add_api_route(
        "/{namespace}/{id}/{key}", webhook, methods=[_method], response_model=KestraExecution, responses=_RESPONSES,
    )


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _latest(svc: Services, namespace: str, flow_id: str) -> Flow | None:
    record = svc.flows.latest(namespace, flow_id)
    if record is None:
        return None
    try:
        return svc.flows.parsed(record)
    except FlowValidationError:
        return None


def _body(raw: bytes, content_type: str) -> Any:
    """JSON bodies as JSON, anything else as text (None when empty)."""
    if not raw:
        return None
    if "json" in content_type.lower():
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return raw.decode("utf-8", errors="replace")
