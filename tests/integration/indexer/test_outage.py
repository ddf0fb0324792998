"""Elasticsearch stops for 60 s while a task keeps logging: afterwards every line is searchable, none twice."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from harrier.core.messages import LogEntry
from harrier.core.tasks.base import LogLevel
from harrier.indexer.queries import HistoryQueries, LogFilter
from harrier.infra.stack import Stack
from harrier.topics import ModelSerde
from harrier.topics.serdes import encode_key

from .conftest import Harness, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

OUTAGE_S = 60
LINES_PER_S = 100


def emit(h: Harness, stop: threading.Event, emitted: list[int]) -> None:
    """A task logging LINES_PER_S lines a second until ``stop``."""
    serde = ModelSerde("log", LogEntry)
    start = datetime.now(timezone.utc)
    n = 0
    while not stop.is_set():
        execution_id = f"ex-{n % 5}"
        entry = LogEntry(
            execution_id=execution_id, namespace="acme", flow_id="chatty", task_id="talk",
            task_run_id=f"{execution_id}-talk", attempt=1, level=LogLevel.INFO,
            timestamp=start + timedelta(milliseconds=n), message=f"line {n}",
        )
        h.producer.produce(h.topic("logs"), serde.encode(entry), encode_key(execution_id))
        emitted.append(n)
        n += 1
        h.producer.poll(0)
        time.sleep(1 / LINES_PER_S)
    h.flush()


def test_every_line_logged_during_an_outage_is_searchable_once(harness: Harness) -> None:
    node = Stack().elasticsearch
    harness.start()
    stop_emitting = threading.Event()
    emitted: list[int] = []
    emitter = threading.Thread(target=emit, args=(harness, stop_emitting, emitted))
    emitter.start()
    try:
        wait_for(lambda: harness.status.indexed > 100, what="lines indexed before the outage")
        node.down()
        down_at = time.monotonic()
        wait_for(lambda: not harness.status.elasticsearch_up, timeout_s=30, what="the indexer noticing")
        # The lag report runs every 10 s while the indexer holds its batch.
        wait_for(lambda: harness.status.total_lag > 0, timeout_s=30, what="lag reported")
        time.sleep(max(OUTAGE_S - (time.monotonic() - down_at), 0))
        lines_during_outage = len(emitted)
    finally:
        node.up()
    time.sleep(3)
    stop_emitting.set()
    emitter.join(30)
    total = len(emitted)
    assert total > lines_during_outage > OUTAGE_S * LINES_PER_S // 2

    def searchable() -> int:
        harness.refresh()
        return harness.es.options(ignore_status=(404, 503)).count(index=harness.names.pattern("logs")).get("count", 0)

    wait_for(lambda: searchable() >= total, timeout_s=180, what=f"{total} lines searchable")
    assert harness.status.elasticsearch_up
    assert searchable() == total
    queries = HistoryQueries(harness.es, harness.names)
    messages: list[str] = []
    cursor = None
    while True:
        page = queries.logs(LogFilter(flow_id="chatty"), size=1000, cursor=cursor)
        messages += [item["message"] for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(messages) == sorted(f"line {n}" for n in range(total))
