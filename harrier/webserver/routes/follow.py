"""An execution's follow stream: its snapshots and log lines as Server-Sent Events, framed by
the route (``GET .../executions/{id}/follow``, ``harrier.webserver.routes.executions``).

The current snapshot first, then each change and log line, a last frame once the execution
is terminal and a short grace for trailing logs has passed, or ``dropped`` when this client
fell too far behind. Every stream is served from the process's one follow feed; opening a
stream never opens a Kafka consumer.

Each frame's ``id`` is the stream's position (``followcursor.Cursor``). A client that comes
back with it in ``Last-Event-ID`` gets what it missed, read back from the topics
(``followreplay``), and then the live events, each once: across a webserver restart, a
network cut or a drop, no snapshot and no log line is lost or sent twice.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from harrier.webserver.exceptions import NotFound
from harrier.webserver.fanout import Event, Follower, execution_event
from harrier.webserver.followcursor import Cursor
from harrier.webserver.lookups import find_snapshot
from harrier.webserver.payloads import snapshot_state
from harrier.webserver.services import Services

__all__ = ["Frames", "follow_response"]

_KEEPALIVE = b": keep-alive\n\n"
# Events past this size are rendered in a thread (1,000 task runs are about 450 KB).
_RENDER_INLINE_BYTES = 64 * 1024
# The most records of one partition a reconnect is read back over: a few minutes of a busy
# partition; a follower away longer starts afresh.
_MAX_GAP_RECORDS = 100_000
_DROPPED = b'event: dropped\ndata: {"message":"this client fell too far behind and was dropped; reconnect"}\n\n'


class Frames(Protocol):
    """How a stream writes its events."""

    def event(self, event: Event) -> bytes | None:
        """The frame of one event, without its ``id`` (None: send nothing)."""
        ...

    def end(self, last: Event | None) -> bytes:
        """The last frame, once the execution ended and the grace for its logs passed;
        ``last`` is its latest snapshot, whether this stream sent it or the client had it."""
        ...


async def follow_response(
    svc: Services, execution_id: str, frames: Frames, last_event_id: str | None = None,
) -> StreamingResponse:
    """The event stream of one execution, framed by ``frames``, from the position
    ``last_event_id`` names if it names one; 404 if the execution does not appear."""
    follower = svc.fanout.follow(execution_id)
    try:
        # Read after subscribing: every record past this position reaches the follower.
        now = svc.follow_feed.cursor(execution_id)
        resumed = Cursor.parse(last_event_id)
        if resumed is None:
            start = await _first_events(svc, follower, now)
        else:
            start = await _missed_events(svc, follower, resumed, now)
    except BaseException:
        svc.fanout.unfollow(follower)
        raise
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_stream(svc, follower, start, frames), media_type="text/event-stream", headers=headers)


class _Start:
    """Where a stream starts: the events to send first, the positions before and after them,
    and the execution's latest snapshot so far (sent or already the client's)."""

    __slots__ = ("cursor", "events", "origin", "snapshot")

    def __init__(self, events: list[Event], origin: Cursor, cursor: Cursor, snapshot: Event | None) -> None:
        self.events = events
        self.origin = origin
        self.cursor = cursor
        self.snapshot = snapshot


async def _first_events(svc: Services, follower: Follower, now: Cursor) -> _Start:
    """The current snapshot, or whatever arrives first for an execution not seen yet."""
    execution_id = follower.execution_id
    cached = svc.snapshots.entry(execution_id)
    if cached is not None:
        # No snapshot of it lies between this one and the feed's position: the cache had it.
        data, offset = cached
        return _after([execution_event(execution_id, data, snapshot_state(data)[1], offset)], now, now)
    data = await find_snapshot(svc, execution_id)
    if data is not None:
        return _after([execution_event(execution_id, data, snapshot_state(data)[1])], now, now)
    # Just created (the executor has not written it yet), or unknown: wait a little.
    events = await follower.take(svc.options.follow_unknown_wait_s)
    if not events:
        raise NotFound(f"execution {execution_id} not found")
    return _after(events, now, now)


async def _missed_events(svc: Services, follower: Follower, resumed: Cursor, now: Cursor) -> _Start:
    """What a follower at ``resumed`` missed up to the feed's position ``now``: the snapshots
    after the last one it got (re-read too: it says whether the execution ended) and the log
    lines after the last one it got."""
    execution_id = follower.execution_id
    gaps = (now.state_offset - resumed.state_offset, now.log_offset - resumed.log_offset)
    if not all(0 <= gap <= _MAX_GAP_RECORDS for gap in gaps):
        # Not a position of these topics (another cluster's, made up) or one so old that
        # reading back to it would hold the replay for everyone: a fresh stream.
        return await _first_events(svc, follower, now)
    states, logs = svc.follow_feed.partitions(execution_id)
    read = await svc.follow_replay.events(execution_id, [
        (svc.topics["execution-states"], states, max(resumed.state_offset, 0), now.state_offset),
        (svc.topics["logs"], logs, resumed.log_offset, now.log_offset - 1),
    ])
    missed = [e for e in read if _admitted(resumed, e)]
    snapshots = [e for e in read if e.kind == "execution"]
    if not snapshots:
        # None on the gap's partition (the client's last one came from Elasticsearch, or
        # the topic compacted it away): the freshest known, sent again.
        data = await find_snapshot(svc, execution_id)
        if data is not None:
            missed.insert(0, execution_event(execution_id, data, snapshot_state(data)[1]))
    # Lines first: they were logged before the snapshots that follow them end the stream.
    missed.sort(key=lambda e: e.kind == "execution")
    start = _after(missed, resumed, now)
    if start.snapshot is None and snapshots:
        start.snapshot = snapshots[-1]
    return start


def _after(events: list[Event], cursor: Cursor, now: Cursor) -> _Start:
    """The start of a stream that sends ``events`` from ``cursor``; past ``now`` too, since
    the events read up to there hold everything of this execution before it."""
    origin, snapshot = cursor, None
    for event in events:
        cursor = _advanced(cursor, event)
        snapshot = event if event.kind == "execution" else snapshot
    if not any(e.kind == "execution" and e.offset >= 0 for e in events):
        cursor = Cursor(max(cursor.state_offset, now.state_offset), cursor.log_offset, cursor.log_line)
    if (cursor.log_offset, cursor.log_line) < (now.log_offset, 0) and not any(e.kind == "log" for e in events):
        cursor = Cursor(cursor.state_offset, now.log_offset)
    return _Start(events, origin, cursor, snapshot)


def _advanced(cursor: Cursor, event: Event) -> Cursor:
    if event.kind == "log":
        return cursor.after_line(event.offset, event.line)
    return cursor.after_snapshot(event.offset) if event.offset >= 0 else cursor


def _admitted(cursor: Cursor, event: Event) -> bool:
    if event.kind == "log":
        return cursor.admits_line(event.offset, event.line)
    return cursor.admits_snapshot(event.offset)


async def _stream(svc: Services, follower: Follower, start: _Start, frames: Frames) -> AsyncIterator[bytes]:
    options = svc.options
    # Each frame's id says what the client has once it got that frame.
    cursor, last = start.origin, start.snapshot
    ends_at = time.monotonic() + options.follow_grace_s if last is not None and last.terminal else None
    events, live = start.events, False
    try:
        while True:
            for event in events:
                if live and not _admitted(cursor, event):
                    continue  # the start covered it already (read back, or from before it)
                cursor = _advanced(cursor, event)
                if len(event.data) > _RENDER_INLINE_BYTES:
                    # A big snapshot (thousands of task runs) takes tens of ms to render:
                    # off the event loop, which serves every other stream and request.
                    frame = await run_in_threadpool(frames.event, event)
                else:
                    frame = frames.event(event)
                if frame is not None:
                    yield b"id: " + cursor.token.encode() + b"\n" + frame
                if event.kind == "execution":
                    last = event
                    # A restart moves a terminal execution back to running: follow on.
                    ends_at = time.monotonic() + options.follow_grace_s if event.terminal else None
            if not live:
                live, cursor = True, start.cursor
            if follower.dropped:
                yield _DROPPED
                return
            if ends_at is not None and time.monotonic() >= ends_at:
                yield frames.end(last)
                return
            wait = options.follow_keepalive_s if ends_at is None else max(0.0, ends_at - time.monotonic())
            events = await follower.take(wait)
            if not events and ends_at is None and not follower.dropped:
                yield _KEEPALIVE
    finally:
        svc.fanout.unfollow(follower)
