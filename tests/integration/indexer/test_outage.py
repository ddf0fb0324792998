"""Elasticsearch stops for 60 s while a task keeps logging: afterwards every line is searchable, none twice."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest

from harrier.core.messages import WorkerTask
from harrier.indexer.queries import HistoryQueries, LogFilter
from harrier.infra.stack import Stack
from harrier.worker.logs import TaskLogger
from harrier.worker.outbox import Outbox, Topics

from .conftest import Harness, searchable_lines, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

OUTAGE_S = 60
LINES_PER_S = 100


def emit(h: Harness, stop: threading.Event, emitted: list[int]) -> None:
    """Five task runs logging LINES_PER_S lines a second between them until ``stop``, through
    the worker's own loggers and outbox (a batch per task run every 100 ms)."""
    outbox = Outbox(h.producer, Topics(h.settings.topics.prefix))
    loggers = [TaskLogger(_record(f"ex-{n}"), None, outbox.logs.add) for n in range(5)]
    n = 0
    flushed = time.monotonic()
    while not stop.is_set():
        loggers[n % 5].info(f"line {n}")
        emitted.append(n)
        n += 1
        if time.monotonic() - flushed >= 0.1:
            outbox.flush_telemetry()
            flushed = time.monotonic()
        h.producer.poll(0)
        time.sleep(1 / LINES_PER_S)
    outbox.flush_telemetry()
    h.flush()


def _record(execution_id: str) -> WorkerTask:
    return WorkerTask(
        execution_id=execution_id, task_run_id=f"{execution_id}-talk", task_id="talk", attempt=1,
        namespace="acme", flow_id="chatty", flow_revision=1, task={"id": "talk", "type": "Log"},
        created_at=datetime.now(timezone.utc),
    )


def test_every_line_logged_during_an_outage_is_searchable_once(harness: Harness) -> None:
    node = Stack().elasticsearch
    harness.start()
    stop_emitting = threading.Event()
    emitted: list[int] = []
    emitter = threading.Thread(target=emit, args=(harness, stop_emitting, emitted))
    emitter.start()
    try:
        wait_for(lambda: searchable_lines(harness) > 100, what="lines indexed before the outage")
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

    queries = HistoryQueries(harness.es, harness.names)

    def searchable() -> int:
        return searchable_lines(harness)

    wait_for(lambda: searchable() >= total, timeout_s=180, what=f"{total} lines searchable")
    assert harness.status.elasticsearch_up
    assert searchable() == total
    messages: list[str] = []
    cursor = None
    while True:
        page = queries.logs(LogFilter(flow_id="chatty"), size=1000, cursor=cursor)
        messages += [item["message"] for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(messages) == sorted(f"line {n}" for n in range(total))
