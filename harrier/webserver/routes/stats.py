"""``/api/v1/stats``: execution counts per state over time, for the dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query

from harrier.webserver.lookups import history_call
from harrier.webserver.schemas import ErrorBody, StatsBody
from harrier.webserver.services import Services, services

__all__ = ["router"]

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("/executions", response_model=StatsBody, responses={422: {"model": ErrorBody, "description": "Bad range"}})
async def execution_stats(
    start_date: datetime | None = Query(None, alias="startDate", description="Default: 24 hours before endDate"),
    end_date: datetime | None = Query(None, alias="endDate", description="Default: now"),
    namespace: str | None = Query(None, description="This namespace and its children"),
    flow_id: str | None = Query(None, alias="flowId"),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Executions started per time bucket, counted by state; the interval (1m, 5m, 15m, 1h, 3h
    or 1d) is picked so the range makes about 24 to 60 buckets."""
    histogram = await history_call(
        svc.stats.histogram, start_date, end_date, namespace=namespace or None, flow_id=flow_id or None
    )
    return {"interval": histogram.interval, "buckets": histogram.buckets}
