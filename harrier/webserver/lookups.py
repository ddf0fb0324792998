"""Finding an execution's current snapshot: the follow feed's cache first, then Elasticsearch."""

from __future__ import annotations

from typing import Any

import orjson
from elasticsearch import ApiError, TransportError
from starlette.concurrency import run_in_threadpool

from harrier.webserver.exceptions import NotFound, Unavailable, Unprocessable
from harrier.webserver.services import Services

__all__ = ["current_snapshot", "find_snapshot", "history_call"]


async def find_snapshot(services: Services, execution_id: str) -> bytes | None:
    """The freshest snapshot JSON of an execution, or None if neither source knows it."""
    cached = services.snapshots.get(execution_id)
    if cached is not None:
        return cached
    indexed = await history_call(services.history.execution, execution_id)
    return None if indexed is None else orjson.dumps(indexed)


async def current_snapshot(services: Services, execution_id: str) -> tuple[bytes, dict[str, Any]]:
    """The snapshot as JSON bytes and as a dict; ``NotFound`` if the execution is unknown."""
    data = await find_snapshot(services, execution_id)
    if data is None:
        raise NotFound(f"execution {execution_id} not found")
    snapshot = orjson.loads(data)
    return data, snapshot


async def history_call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a (blocking) history query in the thread pool; Elasticsearch failures become 503."""
    try:
        return await run_in_threadpool(function, *args, **kwargs)
    except TransportError as exc:
        raise Unavailable(f"Elasticsearch is unreachable: {exc.message}") from None
    except ApiError as exc:
        if exc.status_code >= 500:
            raise Unavailable(f"Elasticsearch failed the query: {exc.message}") from None
        # A cursor or filter Elasticsearch cannot use (e.g. a cursor from another listing).
        raise Unprocessable(f"Elasticsearch rejected the query: {exc.message}") from None
