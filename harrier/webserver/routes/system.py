"""``/health``, ``/ready`` and ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from harrier.webserver.services import Services, services

__all__ = ["metrics_router", "router"]

router = APIRouter(tags=["system"])
metrics_router = APIRouter(tags=["system"])

_PROBE_TIMEOUT_S = 2.0


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up and serving requests."""
    return {"status": "UP"}


@router.get("/ready", responses={503: {"description": "A dependency is not reachable or the flow table is loading"}})
async def ready(svc: Services = Depends(services)) -> JSONResponse:
    """Kafka and Elasticsearch answer, and the flow table has caught up with the flows topic."""
    checks = {
        "kafka": await run_in_threadpool(_kafka_check, svc),
        "elasticsearch": await run_in_threadpool(_elasticsearch_check, svc),
        "flows": "UP" if svc.flow_feed.ready.is_set() else "loading the flows topic",
    }
    up = all(value == "UP" for value in checks.values())
    return JSONResponse({"status": "UP" if up else "DOWN", "checks": checks}, status_code=200 if up else 503)


@metrics_router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request) -> Response:
    """Prometheus metrics in the text exposition format."""
    body = await run_in_threadpool(request.app.state.metrics.render)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


def _kafka_check(svc: Services) -> str:
    try:
        svc.producer.metadata(_PROBE_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - any failure is reported as the check's result
        return f"unreachable: {exc}"
    return "UP"


def _elasticsearch_check(svc: Services) -> str:
    # /_cluster/health rather than GET /: the integration-test distribution has no root handler.
    try:
        health: Any = svc.es.options(request_timeout=_PROBE_TIMEOUT_S).cluster.health()
    except Exception as exc:  # noqa: BLE001 - any failure is reported as the check's result
        return f"unreachable: {exc}"
    status = health.get("status")
    return "UP" if status in ("green", "yellow") else f"cluster status {status}"
