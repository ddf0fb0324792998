"""Kestra's webhook route, ``/api/v1/{tenant}/executions/webhook/{namespace}/{id}/{key}``: the
webhook of ``harrier.webserver.routes.webhooks`` answering Kestra's Execution bodies."""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
from fastapi import APIRouter, Depends, Request, Response

from harrier.webserver.kestra import created_body, execution_body
from harrier.webserver.routes.webhooks import RESPONSES, WebhookBodies, answer_webhook
from harrier.webserver.schemas import KestraExecution
from harrier.webserver.services import Services, services

__all__ = ["router"]

router = APIRouter(prefix="/executions/webhook", tags=["webhooks (Kestra)"])

_BODIES = WebhookBodies(
    lambda command: orjson.dumps(created_body(command, datetime.now(timezone.utc))),
    lambda data: orjson.dumps(execution_body(orjson.loads(data), datetime.now(timezone.utc))),
)


async def webhook(namespace: str, id: str, key: str, request: Request, svc: Services = Depends(services)) -> Response:
    """Start an execution of the flow whose Webhook trigger has this key; the body, headers
    and query string become ``trigger.body``, ``trigger.headers`` and ``trigger.parameters``."""
    return await answer_webhook(svc, namespace, id, key, request, _BODIES)


for _method in ("GET", "POST", "PUT"):
    router.add_api_route(
        "/{namespace}/{id}/{key}", webhook, methods=[_method], response_model=KestraExecution,
        responses=RESPONSES, operation_id=f"kestra_webhook_{_method.lower()}",
    )
