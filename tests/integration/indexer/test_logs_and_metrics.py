"""Logs and metrics: produced to Kafka, searchable in their daily indices, queried the webserver's way."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from harrier.core.logbatches import batch_entries
from harrier.core.messages import LogEntry, MetricEntry
from harrier.core.tasks.base import LogLevel
from harrier.indexer.queries import HistoryQueries, LogFilter, Total
from harrier.topics import ModelSerde
from harrier.topics.records import LOG_BATCH
from harrier.topics.serdes import encode_key

from .conftest import Harness, searchable_lines, wait_for

pytestmark = pytest.mark.integration

BASE = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
LEVELS = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR]


def emit_logs(h: Harness) -> list[LogEntry]:
    """40 lines of 4 task runs in 2 executions, interleaved in time, shipped as 4 batches."""
    entries = []
    for n in range(40):
        execution_id = f"ex-{n % 2}"
        entry = LogEntry(
            execution_id=execution_id, namespace="acme.team", flow_id="etl",
            task_id=f"task-{n % 4}", task_run_id=f"{execution_id}-tr-{n % 4}", attempt=1,
            level=LEVELS[n % 5], timestamp=BASE + timedelta(seconds=n),
            message=f"row {n} loaded into warehouse" if n % 10 else f"row {n} checksum mismatch",
        )
        entries.append(entry)
    for batch in batch_entries(entries):
        h.producer.produce(h.topic("logs"), LOG_BATCH.encode(batch), encode_key(batch.execution_id))
    h.flush()
    return entries


def searchable(h: Harness, pattern: str, count: int) -> bool:
    h.refresh()
    return h.es.options(ignore_status=(404, 503)).count(index=pattern).get("count", 0) >= count


def lines_searchable(h: Harness, count: int) -> bool:
    return searchable_lines(h) >= count


def test_log_batches_land_in_their_day_with_topic_partition_offset_ids(harness: Harness) -> None:
    harness.start()
    emit_logs(harness)
    wait_for(lambda: lines_searchable(harness, 40), what="40 log lines")
    index = harness.names.daily("logs", "2026-11-20")
    hits = harness.es.search(index=index, size=100)["hits"]["hits"]
    assert len(hits) == 4
    assert sorted(hit["_source"]["task_run_id"] for hit in hits) == sorted(f"ex-{n % 2}-tr-{n}" for n in range(4))
    assert {hit["_source"]["lines"] for hit in hits} == {10}
    topic = harness.topic("logs")
    for hit in hits:
        assert hit["_id"] == f"{topic}-{_partition_offset(hit['_id'], topic)}"
        assert hit["_source"]["offset"] == int(hit["_id"].rsplit("-", 1)[1])
    mapping = harness.es.indices.get_mapping(index=index)[index]["mappings"]
    assert mapping["dynamic"] == "false"
    assert mapping["properties"]["timestamp"]["type"] == "date_nanos"
    assert mapping["properties"]["messages"]["type"] == "text"
    assert mapping["properties"]["execution_id"]["type"] == "keyword"
    # Per-line timestamps and levels are kept, not indexed.
    assert "timestamps" not in mapping["properties"] and "levels" not in mapping["properties"]


def _partition_offset(doc_id: str, topic: str) -> str:
    partition, offset = doc_id[len(topic) + 1 :].split("-")
    assert partition.isdigit() and offset.isdigit()
    return f"{partition}-{offset}"


def test_log_queries_by_execution_task_run_level_time_and_text(harness: Harness) -> None:
    harness.start()
    entries = emit_logs(harness)
    wait_for(lambda: lines_searchable(harness, 40), what="40 log lines")
    queries = HistoryQueries(harness.es, harness.names)

    by_execution = queries.logs(LogFilter(execution_id="ex-1"), size=100)
    expected = [e.message for e in entries if e.execution_id == "ex-1"]
    assert [item["message"] for item in by_execution.items] == expected
    assert by_execution.total.value == 20 and by_execution.total.exact

    by_task_run = queries.logs(LogFilter(task_run_id="ex-0-tr-2"), size=100)
    assert {item["task_run_id"] for item in by_task_run.items} == {"ex-0-tr-2"}
    assert len(by_task_run.items) == sum(e.task_run_id == "ex-0-tr-2" for e in entries)

    warnings_up = queries.logs(LogFilter(min_level="warn"), size=100)
    assert {item["level"] for item in warnings_up.items} == {"WARN", "ERROR"}
    assert len(warnings_up.items) == 16
    assert warnings_up.total == Total(16, exact=True)

    window = queries.logs(LogFilter(start=BASE + timedelta(seconds=10), end=BASE + timedelta(seconds=15)), size=100)
    assert [item["message"].split()[1] for item in window.items] == ["10", "11", "12", "13", "14"]
    assert window.total == Total(5, exact=True)

    text = queries.logs(LogFilter(text="checksum mismatch"), size=100)
    assert [item["message"] for item in text.items] == [e.message for e in entries if "checksum" in e.message]
    # A search filters lines: the total counts those seen, exact once the listing has ended.
    assert text.total == Total(4, exact=True)
    first_two = queries.logs(LogFilter(text="checksum"), size=2)
    assert first_two.total == Total(3, exact=False) and first_two.next_cursor is not None
    past_the_end = queries.logs(LogFilter(text="checksum"), page=3, size=2)
    assert past_the_end.items == [] and past_the_end.total == Total(4, exact=True)
    # Quoted, "2*" is the word 2; bare, 2* is a prefix.
    assert [item["message"] for item in queries.logs(LogFilter(text='"row 2*"'), size=100).items] == ["row 2 loaded into warehouse"]
    prefixed = queries.logs(LogFilter(text="row 2*"), size=100).items
    assert [item["message"].split()[1] for item in prefixed] == ["2", *map(str, range(20, 30))]
    assert [item["message"] for item in queries.logs(LogFilter(text="-loaded"), size=100).items] == [
        e.message for e in entries if "checksum" in e.message
    ]
    assert queries.logs(LogFilter(text="checksum -mismatch")).items == []


def test_log_pages_follow_the_cursor_without_gaps_or_repeats(harness: Harness) -> None:
    harness.start()
    entries = emit_logs(harness)
    wait_for(lambda: lines_searchable(harness, 40), what="40 log lines")
    queries = HistoryQueries(harness.es, harness.names)
    seen, cursor = [], None
    while True:
        page = queries.logs(LogFilter(namespace="acme"), size=7, cursor=cursor)
        seen += [item["message"] for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [e.message for e in entries]
    second = queries.logs(LogFilter(namespace="acme"), page=2, size=7)
    assert [item["message"] for item in second.items] == seen[7:14]
    # A search filters lines after Elasticsearch picked batches: its cursor pages the same way.
    wanted = [e.message for e in entries if "loaded" in e.message and e.level in (LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR)]
    seen, cursor = [], None
    while True:
        page = queries.logs(LogFilter(text="loaded", min_level="info"), size=5, cursor=cursor)
        seen += [item["message"] for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == wanted


def test_metrics_are_indexed_in_daily_indices(harness: Harness) -> None:
    harness.start()
    serde = ModelSerde("metric", MetricEntry)
    for n in range(5):
        metric = MetricEntry(
            execution_id="ex-m", namespace="acme", flow_id="etl", task_id="load", task_run_id="tr",
            name="rows", kind="counter", value=float(n), tags={"table": "orders"},
            timestamp=BASE + timedelta(days=n % 2),
        )
        harness.producer.produce(harness.topic("metrics"), serde.encode(metric), encode_key("ex-m"))
    harness.flush()
    wait_for(lambda: searchable(harness, harness.names.pattern("metrics"), 5), what="5 metrics")
    counts = {
        day: harness.es.count(index=harness.names.daily("metrics", day))["count"]
        for day in ("2026-11-20", "2026-11-21")
    }
    assert counts == {"2026-11-20": 3, "2026-11-21": 2}
    tagged = harness.es.count(index=harness.names.pattern("metrics"), query={"term": {"tags.table": "orders"}})
    assert tagged["count"] == 5
