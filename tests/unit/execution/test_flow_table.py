"""The executor's flow table: revisions, tombstones, bad records, waiting for a deploy."""

from __future__ import annotations

import threading
import time

from harrier.core.messages import FlowRecord
from harrier.executor.flows import KEEP_REVISIONS, FlowTable
from harrier.topics.records import FLOW_RECORD

SOURCE = "id: f\nnamespace: test\ntasks:\n  - {id: a, type: Log, message: 'r%d'}\n"


def _record(revision: int, source: str | None = None) -> bytes:
    return FLOW_RECORD.encode(FlowRecord(namespace="test", id="f", revision=revision, source=source or SOURCE % revision))


def test_latest_and_pinned_revisions_and_tombstone() -> None:
    table = FlowTable()
    for revision in (1, 2, 3):
        table.apply("test/f", _record(revision))
    assert table.get("test", "f").revision == 3
    assert table.get("test", "f", 2).task("a").message == "r2"
    table.apply("test/f", None)
    assert table.get("test", "f") is None
    assert len(table) == 0


def test_only_the_last_revisions_are_kept() -> None:
    table = FlowTable()
    for revision in range(1, KEEP_REVISIONS + 5):
        table.apply("test/f", _record(revision))
    assert table.get("test", "f", 1).revision == 5  # revisions 1-4 are gone: the closest newer one runs
    assert table.get("test", "f", KEEP_REVISIONS + 4).revision == KEEP_REVISIONS + 4


def test_bad_records_are_skipped_and_the_previous_revision_stays() -> None:
    table = FlowTable()
    table.apply("test/f", _record(1))
    table.apply("test/f", _record(2, "id: f\nnamespace: test\ntasks: []\n"))
    table.apply("test/f", b"not an envelope")
    assert table.get("test", "f").revision == 1


def test_wait_for_returns_when_the_flow_arrives() -> None:
    table = FlowTable()
    timer = threading.Timer(0.1, lambda: table.apply("test/f", _record(1)))
    timer.start()
    started = time.monotonic()
    assert table.wait_for("test", "f", None, 5.0).revision == 1
    assert time.monotonic() - started < 2.0
    assert table.wait_for("test", "missing", None, 0.05) is None
