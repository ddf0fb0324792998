"""Follow streams resume from ``Last-Event-ID``: across a webserver restart (a new process's
feed starts at the topics' end) the snapshots and lines written meanwhile are read back,
each once, and the live ones follow."""

from __future__ import annotations

import threading

import httpx
import orjson
import pytest
from webserver_stack import Stack, start_stack, stop_stack

from harrier.config.settings import Settings
from harrier.topics.clients import create_producer
from harrier.topics.specs import topic_name
from harrier.webserver import WebserverOptions
from harrier.webserver.followcursor import partition_of

pytestmark = pytest.mark.integration

OPTIONS = WebserverOptions(follow_grace_s=0.3, follow_unknown_wait_s=5.0, follow_keepalive_s=1.0, startup_timeout_s=20)


def frames(stack: Stack, execution_id: str, last_event_id: str | None = None, stop_after_logs: int | None = None,
           ) -> list[tuple[str, str, dict]]:
    """(id, event, data) of each frame of one follow stream, to its end or ``stop_after_logs`` lines."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    got: list[tuple[str, str, dict]] = []
    frame_id, kind = "", "message"
    with httpx.stream("GET", f"{stack.url}/api/v1/executions/{execution_id}/follow", headers=headers,
                      timeout=30) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("id: "):
                frame_id = line[4:]
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                got.append((frame_id, kind, orjson.loads(line[6:])))
                kind = "message"
                if frame_id == "end" or (stop_after_logs and sum(k == "log" for _, k, _ in got) == stop_after_logs):
                    break
    return got


def test_resume_across_a_restart_misses_nothing_and_repeats_nothing(stack_settings: Settings) -> None:
    running, server, thread = start_stack(stack_settings, OPTIONS)
    execution = "resume-1"
    try:
        seen: list[tuple[str, str, dict]] = []
        reader = threading.Thread(target=lambda: seen.extend(frames(running, execution, stop_after_logs=2)))
        reader.start()
        running.eventually(lambda: running.services.fanout.followers == 1)
        running.emit_snapshot(execution, "RUNNING")
        running.emit_log(execution, "line 0")
        running.emit_log(execution, "line 1")
        reader.join(30)
        assert [k for _, k, _ in seen] == ["message", "log", "log"], seen
        last_id = seen[-1][0]
        assert running.services.consumers.get("replay") is None  # no reconnect yet
    finally:
        stop_stack(running, server, thread)
    # While no webserver runs: more lines, a change, the end.
    running.producer = create_producer(stack_settings, "webserver-tests")
    running.emit_log(execution, "line 2")
    running.emit_snapshot(execution, "RUNNING", outputs={"step": 2})
    running.emit_log(execution, "line 3")
    running.emit_snapshot(execution, "SUCCESS", outputs={"done": True})
    restarted, server, thread = start_stack(stack_settings, OPTIONS)
    try:
        resumed = frames(restarted, execution, last_id)
        restarted.emit_log(execution, "too late", flush=True)
        lines = [d["message"] for _, k, d in resumed if k == "log"]
        states = [d["state"]["current"] for i, k, d in resumed if k == "message" and i != "end"]
        assert lines == ["line 2", "line 3"], resumed
        assert states == ["RUNNING", "SUCCESS"], resumed
        assert resumed[-1][0] == "end" and resumed[-1][2]["outputs"] == {"done": True}
        assert restarted.services.consumers["replay"] == 1
        # A client that got everything but the end comes back to what was logged since, and the end.
        tail = frames(restarted, execution, resumed[-2][0])
        assert [(k, d.get("message")) for _, k, d in tail] == [("log", "too late"), ("message", None)], tail
        assert tail[-1][0] == "end" and tail[-1][2]["state"]["current"] == "SUCCESS"
        # A position these topics never reached: a fresh stream, the current snapshot first.
        restarted.emit_snapshot(execution, "SUCCESS", outputs={"done": True})
        restarted.eventually(lambda: restarted.services.snapshots.get(execution))
        fresh = frames(restarted, execution, "999999.999999.0")
        assert [(i == "end", k) for i, k, _ in fresh] == [(False, "message"), (True, "message")], fresh
    finally:
        stop_stack(restarted, server, thread)


def test_the_partition_of_a_key_is_where_harrier_producers_put_it(stack_settings: Settings) -> None:
    producer = create_producer(stack_settings, "partition-check")
    topic = topic_name(stack_settings, "metrics")
    partitions = len(producer.list_topics(topic, timeout=10).topics[topic].partitions)
    placed: dict[str, int] = {}
    for n in range(64):
        key = f"execution-{n}-{'x' * n}"
        producer.produce(topic, b"{}", key.encode(),
                         on_delivery=lambda error, message, key=key: placed.__setitem__(key, message.partition()))
    producer.flush(10)
    assert len(placed) == 64 and len(set(placed.values())) == partitions
    assert all(partition_of(key.encode(), partitions) == partition for key, partition in placed.items())
