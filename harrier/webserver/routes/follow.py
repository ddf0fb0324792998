"""An execution's follow stream: its snapshots and log lines as Server-Sent Events, framed by
the route (``GET .../executions/{id}/follow``, ``harrier.webserver.routes.executions``).

The current snapshot first, then each change and log line, a last frame once the execution
is terminal and a short grace for trailing logs has passed, or ``dropped`` when this client
fell too far behind. Every stream is served from the process's one follow feed; opening a
stream never opens a Kafka consumer.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from harrier.webserver.exceptions import NotFound
from harrier.webserver.fanout import Event, Follower, execution_event
from harrier.webserver.lookups import find_snapshot
from harrier.webserver.payloads import snapshot_state
from harrier.webserver.services import Services

__all__ = ["Frames", "follow_response"]

_KEEPALIVE = b": keep-alive\n\n"
# Events past this size are rendered in a thread (1,000 task runs are about 450 KB).
_RENDER_INLINE_BYTES = 64 * 1024
_DROPPED = b'event: dropped\ndata: {"message":"this client fell too far behind and was dropped; reconnect"}\n\n'


class Frames(Protocol):
    """How a stream writes its events."""

    def event(self, event: Event) -> bytes | None:
        """The frame of one event (None: send nothing)."""
        ...

    def end(self) -> bytes:
        """The last frame, once the execution ended and the grace for its logs passed."""
        ...


async def follow_response(svc: Services, execution_id: str, frames: Frames) -> StreamingResponse:
    """The event stream of one execution, framed by ``frames``; 404 if it does not appear."""
    follower = svc.fanout.follow(execution_id)
    try:
        first = await _first_events(svc, follower)
    except BaseException:
        svc.fanout.unfollow(follower)
        raise
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _stream(svc, follower, first, frames), media_type="text/event-stream", headers=headers
    )


async def _first_events(svc: Services, follower: Follower) -> list[Event]:
    """The current snapshot, or whatever arrives first for an execution not seen yet."""
    execution_id = follower.execution_id
    data = await find_snapshot(svc, execution_id)
    if data is not None:
        return [execution_event(execution_id, data, snapshot_state(data)[1])]
    # Just created (the executor has not written it yet), or unknown: wait a little.
    events = await follower.take(svc.options.follow_unknown_wait_s)
    if not events:
        raise NotFound(f"execution {execution_id} not found")
    return events


async def _stream(svc: Services, follower: Follower, first: list[Event], frames: Frames) -> AsyncIterator[bytes]:
    options = svc.options
    initial = first[0].data if first[0].kind == "execution" else None
    ends_at: float | None = None
    events = first
    try:
        while True:
            for event in events:
                if initial is not None and event is not first[0] and event.data == initial:
                    # Read as the current snapshot and delivered too: send it once.
                    initial = None
                    continue
                if len(event.data) > _RENDER_INLINE_BYTES:
                    # A big snapshot (thousands of task runs) takes tens of ms to render:
                    # off the event loop, which serves every other stream and request.
                    frame = await run_in_threadpool(frames.event, event)
                else:
                    frame = frames.event(event)
                if frame is not None:
                    yield frame
                if event.kind == "execution":
                    # A restart moves a terminal execution back to running: follow on.
                    ends_at = time.monotonic() + options.follow_grace_s if event.terminal else None
            if follower.dropped:
                yield _DROPPED
                return
            if ends_at is not None and time.monotonic() >= ends_at:
                yield frames.end()
                return
            wait = options.follow_keepalive_s if ends_at is None else max(0.0, ends_at - time.monotonic())
            events = await follower.take(wait)
            if not events and ends_at is None and not follower.dropped:
                yield _KEEPALIVE
    finally:
        svc.fanout.unfollow(follower)
