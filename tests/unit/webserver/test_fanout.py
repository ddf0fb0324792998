"""The fan-out: events reach only their execution's followers; a full mailbox drops only its owner."""

from __future__ import annotations

import asyncio

from harrier.webserver.fanout import Event, FanOut, execution_event, terminal_state


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


def test_frames_are_server_sent_events_and_terminal_states_are_known() -> None:
    event = execution_event("e", b'{"state":"SUCCESS"}', "SUCCESS")
    assert event.frame == b'event: execution\ndata: {"state":"SUCCESS"}\n\n'
    assert event.terminal
    assert not execution_event("e", b"{}", "RUNNING").terminal
    assert execution_event("e", b"{}", "NOT-A-STATE").state is None
    assert [terminal_state(s) for s in ("KILLED", "CANCELLED", "PAUSED", None)] == [True, True, False, False]
