"""Follow (Server-Sent Events): many followers, one consumer, slow clients dropped."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import orjson
import pytest
from webserver_stack import Stack, start_stack, stop_stack

from harrier.config.settings import Settings
from harrier.webserver import WebserverOptions

pytestmark = pytest.mark.integration

EXECUTIONS = 100
FOLLOWERS_EACH = 10
LOGS_EACH = 5


@pytest.fixture(scope="module")
def bare(stack_settings: Settings) -> Iterator[Stack]:
    """A webserver without the indexer: follow needs Kafka only."""
    running, server, thread = start_stack(stack_settings)
    yield running
    stop_stack(running, server, thread)


async def follow(url: str, execution_id: str, opened: list[str] | None = None,
                 events: list[tuple[str, dict]] | None = None) -> list[tuple[str, dict]]:
    """Read one follow stream to its end; return its (event, data) pairs: ``execution`` for
    Kestra's ``id: progress`` frames, ``end`` for its ``id: end``, else the event's name.

    A bare HTTP/1.0 client on an asyncio socket: a thousand of them cost the test process
    far less than a thousand httpx streams, so the time measured is the server's.
    """
    host, port = url.removeprefix("http://").split(":")
    # Lines up to 1 MiB: log lines can be large.
    reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
    writer.write(f"GET /api/v1/executions/{execution_id}/follow HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    status = await reader.readline()
    assert b" 200 " in status, status
    while await reader.readline() not in (b"\r\n", b""):
        pass
    if opened is not None:
        opened.append(execution_id)
    events = [] if events is None else events
    kind = "execution"
    try:
        while line := await reader.readline():
            if line == b"\n":
                kind = "execution"
            elif line.startswith(b"event: "):
                kind = line[7:-1].decode()
            elif line.startswith(b"id: "):
                kind = "end" if line[4:-1] == b"end" else "execution"
            elif line.startswith(b"data: "):
                events.append((kind, orjson.loads(line[6:])))
                if kind in ("end", "dropped"):
                    break
    finally:
        writer.close()
    return events


def test_a_thousand_followers_of_a_hundred_executions_share_one_consumer(bare: Stack) -> None:
    ids = [f"sse-{n:03d}" for n in range(EXECUTIONS)]
    for execution_id in ids:
        bare.emit_snapshot(execution_id, "RUNNING", flush=False)
    bare.producer.flush(10)
    bare.eventually(lambda: all(bare.services.snapshots.get(i) for i in ids))

    async def scenario() -> list[list[tuple[str, dict]]]:
        opened: list[str] = []
        tasks = [
            asyncio.create_task(follow(bare.url, execution_id, opened))
            for execution_id in ids for _ in range(FOLLOWERS_EACH)
        ]
        deadline = time.monotonic() + 30
        while len(opened) < len(tasks) or bare.services.fanout.followers < len(tasks):
            assert time.monotonic() < deadline, f"only {len(opened)} streams opened"
            await asyncio.sleep(0.02)
        assert bare.services.consumers == {"flows": 1, "follow": 1}
        for n in range(LOGS_EACH):
            for execution_id in ids:
                bare.emit_log(execution_id, f"{execution_id} line {n}", flush=False)
        for execution_id in ids:
            bare.emit_snapshot(execution_id, "SUCCESS", flush=False, outputs={"id": execution_id})
        await asyncio.to_thread(bare.producer.flush, 10)
        return await asyncio.wait_for(asyncio.gather(*tasks), 60)

    started = time.monotonic()
    streams = asyncio.run(scenario())
    elapsed = time.monotonic() - started

    for index, events in enumerate(streams):
        execution_id = ids[index // FOLLOWERS_EACH]
        states = [data["state"]["current"] for kind, data in events if kind == "execution"]
        logs = [data["message"] for kind, data in events if kind == "log"]
        assert states == ["RUNNING", "SUCCESS"], (execution_id, states)
        assert logs == [f"{execution_id} line {n}" for n in range(LOGS_EACH)], (execution_id, logs)
        assert all(data.get("id", data.get("executionId")) == execution_id for _, data in events)
        assert events[-1][0] == "end" and events[-1][1]["outputs"] == {"id": execution_id}
    assert bare.services.consumers == {"flows": 1, "follow": 1}
    assert bare.services.fanout.dropped == 0
    assert bare.eventually(lambda: bare.services.fanout.followers == 0)
    metrics = bare.client.get("/metrics").text
    assert 'harrier_webserver_kafka_consumers{purpose="follow"} 1.0' in metrics
    print(f"\n{len(streams)} followers of {EXECUTIONS} executions served in {elapsed:.2f}s")


def test_follow_of_an_unknown_execution_is_404_after_a_short_wait(bare: Stack) -> None:
    response = bare.client.get("/api/v1/executions/never-seen/follow")
    assert (response.status_code, response.json()["message"]) == (404, "execution never-seen not found")


def test_follow_of_a_finished_execution_sends_it_then_ends(bare: Stack) -> None:
    bare.emit_snapshot("finished-sse", "FAILED")
    bare.eventually(lambda: bare.services.snapshots.get("finished-sse"))
    events = asyncio.run(follow(bare.url, "finished-sse"))
    assert [kind for kind, _ in events] == ["execution", "end"]
    assert events[0][1]["state"]["current"] == "FAILED" and events[1][1] == events[0][1]


def test_a_slow_client_is_dropped_and_never_slows_the_others(stack_settings: Settings) -> None:
    options = WebserverOptions(follower_mailbox=32, follow_grace_s=0.3, follow_unknown_wait_s=0.3)
    running, server, thread = start_stack(stack_settings, options)
    try:
        running.emit_snapshot("slow-exec", "RUNNING")
        running.eventually(lambda: running.services.snapshots.get("slow-exec"))
        host, port = running.url.removeprefix("http://").split(":")
        # A client that asks to follow, then never reads: the server's writes to it stall.
        slow = socket.create_connection((host, int(port)))
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(b"GET /api/v1/executions/slow-exec/follow HTTP/1.1\r\nHost: x\r\n\r\n")
        running.eventually(lambda: running.services.fanout.followers == 1)
        waves, per_wave, big = 12, 16, "x" * 65536

        async def fast() -> list[tuple[str, dict]]:
            events: list[tuple[str, dict]] = []
            task = asyncio.create_task(follow(running.url, "slow-exec", events=events))
            while running.services.fanout.followers < 2:
                if task.done():
                    task.result()
                    raise AssertionError(f"the follow stream ended early: {events}")
                await asyncio.sleep(0.02)
            for wave in range(waves):
                for n in range(per_wave):
                    running.emit_log("slow-exec", f"{wave * per_wave + n} {big}", flush=False)
                await asyncio.to_thread(running.producer.flush, 10)
                # The fast client keeps up: each wave is read before the next is sent.
                while sum(kind == "log" for kind, _ in events) < (wave + 1) * per_wave:
                    assert not task.done(), f"the fast stream ended early: {task.exception()!r}"
                    await asyncio.sleep(0.01)
            running.emit_snapshot("slow-exec", "SUCCESS")
            return await asyncio.wait_for(task, 60)

        events = asyncio.run(fast())
        logs = [data["message"].split(" ")[0] for kind, data in events if kind == "log"]
        assert logs == [str(n) for n in range(waves * per_wave)]
        assert events[-1][0] == "end"
        assert running.services.fanout.dropped == 1
        slow.close()
    finally:
        stop_stack(running, server, thread)
