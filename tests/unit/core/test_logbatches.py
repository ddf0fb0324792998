"""Log lines grouped into LogBatch records: by task run attempt, in order, capped in size."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from harrier.core.logbatches import (
    MAX_BATCH_BYTES,
    MAX_BATCH_LINES,
    MAX_LINE_CHARS,
    batch_entries,
    batch_lines,
    split_batch,
)
from harrier.core.messages import LogBatch, LogEntry
from harrier.core.tasks.base import LogLevel
from harrier.topics.records import LOG_BATCH

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def entry(n: int, task_run: str | None, message: str = "", attempt: int | None = 1) -> LogEntry:
    return LogEntry(
        execution_id="ex", namespace="ns", flow_id="f", task_id=task_run, task_run_id=task_run,
        attempt=attempt if task_run else None, level=LogLevel.INFO, timestamp=T0 + timedelta(seconds=n),
        message=message or f"m{n}",
    )


def test_lines_are_grouped_per_task_run_attempt_in_order() -> None:
    entries = [entry(0, "a"), entry(1, "b"), entry(2, None), entry(3, "a"), entry(4, "a", attempt=2), entry(5, "b")]
    batches = batch_entries(entries)
    assert [(b.task_run_id, b.attempt, b.messages) for b in batches] == [
        ("a", 1, ["m0", "m3"]), ("b", 1, ["m1", "m5"]), (None, None, ["m2"]), ("a", 2, ["m4"]),
    ]
    assert batches[0].timestamps == [T0, T0 + timedelta(seconds=3)]


def test_batches_are_capped_by_lines_and_by_bytes() -> None:
    many = batch_entries(entry(n, "a", "x") for n in range(MAX_BATCH_LINES + 1))
    assert [len(b.messages) for b in many] == [MAX_BATCH_LINES, 1]
    big = "y" * (MAX_BATCH_BYTES // 3)
    sized = batch_entries(entry(n, "a", big) for n in range(4))
    assert [len(b.messages) for b in sized] == [2, 2]
    # Two lines of the longest kept do not share a batch.
    longest = batch_entries([entry(0, "a", "z" * MAX_LINE_CHARS), entry(1, "a", "z" * MAX_LINE_CHARS)])
    assert [len(b.messages) for b in longest] == [1, 1]


def test_a_batch_round_trips_through_its_serde_and_splits_into_lines() -> None:
    batch = batch_lines([(entry(0, "a"), T0, LogLevel.WARN, "careful"), (entry(0, "a"), T0, LogLevel.INFO, "ok")])[0]
    decoded = LOG_BATCH.decode(LOG_BATCH.encode(batch))
    assert decoded == batch
    assert [e.message for e in decoded.entries()] == ["careful", "ok"]
    lines = split_batch(decoded.model_dump(mode="json"))
    assert [(line["task_run_id"], line["level"], line["message"]) for line in lines] == [
        ("a", "WARN", "careful"), ("a", "INFO", "ok"),
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"timestamps": [], "levels": [], "messages": []}, "at least one line"),
        ({"levels": ["INFO", "INFO"]}, "differ in length"),
    ],
)
def test_a_malformed_batch_is_refused(changes: dict[str, object], reason: str) -> None:
    data = {"execution_id": "e", "namespace": "n", "flow_id": "f", "timestamps": [T0], "levels": ["INFO"],
            "messages": ["m"], **changes}
    with pytest.raises(ValidationError, match=reason):
        LogBatch.model_validate(data)


def test_a_line_longer_than_the_limit_is_cut_and_says_so() -> None:
    huge = "x" * (5 * 1024 * 1024)
    batches = batch_entries([entry(0, "a", huge), entry(1, "a", "next")])
    cut = batches[0].messages[0]
    assert cut.startswith("x" * MAX_LINE_CHARS)
    assert cut.endswith(f"... [line cut at {MAX_LINE_CHARS:,} of {len(huge):,} characters]")
    assert [m for b in batches for m in b.messages][1:] == ["next"]
    # Every record stays under the logs topic's 1 MiB.
    assert all(len(LOG_BATCH.encode(b)) < 1024 * 1024 for b in batches)
