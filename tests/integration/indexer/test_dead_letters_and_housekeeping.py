"""Refused documents go to dead letters; templates are installed; the retention cleaner deletes old days."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from harrier.indexer.retention import RetentionCleaner
from harrier.indexer.templates import TEMPLATE_VERSION, install_templates
from harrier.topics import create_consumer, read_dead_letter

from .conftest import Harness, wait_for

pytestmark = pytest.mark.integration


def log(n: int, **changes: object) -> dict[str, object]:
    return {"execution_id": "ex-d", "namespace": "acme", "flow_id": "f", "task_id": "t", "task_run_id": "tr",
            "attempt": 1, "levels": ["INFO"], "timestamps": ["2026-11-20T10:00:00.000001Z"], "messages": [f"line {n}"],
            **changes}


def test_mapping_conflicts_and_undecodable_records_go_to_dead_letters(harness: Harness) -> None:
    harness.start()
    harness.send("logs", "ex-d", "log-batch", log(0))
    harness.send("logs", "ex-d", "log-batch", log(1, attempt="first"))
    harness.producer.produce(harness.topic("logs"), b"{not json", b"ex-d")
    harness.send("logs", "ex-d", "log-batch", log(3))
    harness.flush()

    consumer = create_consumer(harness.settings, f"{harness.settings.topics.prefix}dlq-reader")
    consumer.subscribe([harness.topic("dead-letters")])
    letters = []
    deadline = time.monotonic() + 60
    while len(letters) < 2 and time.monotonic() < deadline:
        record = consumer.poll(0.5)
        if record is not None and record.error() is None:
            letters.append(read_dead_letter(record))
    consumer.close()
    assert len(letters) == 2, letters
    by_offset = sorted(letters, key=lambda letter: letter.offset)
    assert [letter.offset for letter in by_offset] == [1, 2]
    assert all(letter.topic == harness.topic("logs") for letter in by_offset)
    assert "attempt" in by_offset[0].error and "elasticsearch refused" in by_offset[0].error
    assert "invalid JSON" in by_offset[1].error
    assert by_offset[1].value == b"{not json"

    def indexed() -> list[str]:
        harness.refresh()
        hits = harness.es.options(ignore_status=(404, 503)).search(index=harness.names.pattern("logs"))
        return sorted(message for hit in hits.get("hits", {}).get("hits", []) for message in hit["_source"]["messages"])

    wait_for(lambda: indexed() == ["line 0", "line 3"], what="the two good lines")
    wait_for(lambda: harness.status.dead_lettered == 2 and harness.status.commits > 0, what="status counts")


def test_templates_are_installed_with_explicit_mappings(harness: Harness) -> None:
    install_templates(harness.es, harness.names)
    templates = harness.es.indices.get_index_template(name=f"{harness.names.prefix}*")["index_templates"]
    by_name = {t["name"]: t["index_template"] for t in templates}
    prefix = harness.names.prefix
    assert set(by_name) == {f"{prefix}logs", f"{prefix}metrics", f"{prefix}executions", f"{prefix}flows"}
    assert all(t["version"] == TEMPLATE_VERSION for t in by_name.values())
    assert by_name[f"{prefix}logs"]["index_patterns"] == [f"{prefix}logs-*"]
    mapping = harness.es.indices.get_mapping(index=harness.names.executions)[harness.names.executions]["mappings"]
    assert mapping["properties"]["labels"]["type"] == "flattened"
    assert mapping["properties"]["execution"]["enabled"] is False


def test_retention_cleaner_deletes_only_expired_days(harness: Harness) -> None:
    today = datetime.now(timezone.utc)
    old = harness.names.daily("logs", (today - timedelta(days=40)).date().isoformat())
    kept = harness.names.daily("metrics", (today - timedelta(days=3)).date().isoformat())
    for index in (old, kept):
        harness.es.indices.create(index=index)
    deleted = RetentionCleaner(harness.es, harness.names, timedelta(days=30))(today)
    assert deleted == [old]
    assert not harness.es.indices.exists(index=old)
    assert harness.es.indices.exists(index=kept)
