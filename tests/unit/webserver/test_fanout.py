"""The fan-out: events reach only their execution's followers; a full mailbox drops only its owner."""

from __future__ import annotations

import asyncio

import orjson

from harrier.webserver.fanout import Event, FanOut, execution_event, terminal_state
from harrier.webserver.routes.executions import KestraFrames


def log(execution_id: str, n: int) -> Event:
    return Event("log", execution_id, b'{"n":%d}' % n)


def test_events_reach_only_the_followers_of_their_execution() -> None:
    async def scenario() -> None:
        fanout = FanOut(mailbox_size=10)
        a1, a2, b = fanout.follow("a"), fanout.follow("a"), fanout.follow("b")
        fanout.deliver([log("a", 1), log("b", 2), log("c", 3), log("a", 4)])
        assert [e.data for e in await a1.take(0.1)] == [b'{"n":1}', b'{"n":4}']
        assert [e.data for e in await a2.take(0.1)] == [b'{"n":1}', b'{"n":4}']
        assert [e.data for e in await b.take(0.1)] == [b'{"n":2}']
        assert fanout.delivered == 5
        assert await a1.take(0.01) == []

    asyncio.run(scenario())


def test_a_full_mailbox_drops_its_follower_and_no_other() -> None:
    async def scenario() -> None:
        fanout = FanOut(mailbox_size=3)
        slow, fast = fanout.follow("x"), fanout.follow("x")
        for n in range(3):
            fanout.deliver([log("x", n)])
            assert len(await fast.take(0.1)) == 1
        fanout.deliver([log("x", 3)])
        assert slow.dropped and not fast.dropped
        assert await slow.take(0.1) == []
        assert fanout.dropped == 1 and fanout.followers == 1
        fanout.deliver([log("x", 4)])
        assert [e.data for e in await fast.take(0.1)] == [b'{"n":3}', b'{"n":4}']

    asyncio.run(scenario())


def test_unfollow_forgets_the_execution_once_nobody_follows_it() -> None:
    async def scenario() -> None:
        fanout = FanOut()
        first, second = fanout.follow("e"), fanout.follow("e")
        fanout.unfollow(first)
        assert fanout.wants("e")
        fanout.unfollow(second)
        fanout.unfollow(second)
        assert not fanout.wants("e") and fanout.followers == 0

    asyncio.run(scenario())


def test_kestra_frames_render_each_event_once_for_all_its_followers() -> None:
    snapshot = {"id": "e", "namespace": "n", "flow_id": "f", "flow_revision": 1, "state": "SUCCESS",
                "history": [{"state": "SUCCESS", "at": "2026-12-03T10:00:00+00:00"}], "created_at": "2026-12-03T10:00:00+00:00"}
    event = execution_event("e", orjson.dumps(snapshot), "SUCCESS")
    assert event.terminal
    first, second = KestraFrames(), KestraFrames()
    frame = first.event(event)
    # The stream puts its position in front as the frame's id.
    assert frame is not None and frame.startswith(b"data: ")
    body = event.body
    assert body is not None and orjson.loads(body)["state"]["current"] == "SUCCESS"
    assert second.event(event) == frame and event.body is body
    assert first.end(event) == b"id: end\ndata: " + body + b"\n\n"
    assert first.end(None) == b"id: end\ndata: {}\n\n"
    line = {"execution_id": "e", "namespace": "n", "flow_id": "f", "level": "INFO",
            "timestamp": "2026-12-03T10:00:00+00:00", "message": "hi", "offset": 3, "line": 0}
    log = first.event(Event("log", "e", orjson.dumps(line)))
    assert log is not None and log.startswith(b"event: log\ndata: ")
    assert orjson.loads(log.split(b"data: ", 1)[1]) == {
        "namespace": "n", "flowId": "f", "taskId": None, "executionId": "e", "taskRunId": None, "attemptNumber": None,
        "triggerId": None, "timestamp": "2026-12-03T10:00:00Z", "level": "INFO", "thread": None, "message": "hi",
        "offset": 3, "line": 0,
    }


def test_terminal_states_are_known() -> None:
    assert not execution_event("e", b"{}", "RUNNING").terminal
    assert execution_event("e", b"{}", "NOT-A-STATE").state is None
    assert [terminal_state(s) for s in ("KILLED", "CANCELLED", "PAUSED", None)] == [True, True, False, False]
