from __future__ import annotations

import orjson

from harrier.indexer.actions import Action
from harrier.indexer.bulk import classify


def test_index_action_is_two_ndjson_lines() -> None:
    lines = Action("i", "a-1", b'{"x":1}').ndjson().splitlines()
    assert [orjson.loads(line) for line in lines] == [{"index": {"_index": "i", "_id": "a-1"}}, {"x": 1}]


def test_versioned_delete_is_one_line_with_external_version() -> None:
    (line,) = Action("i", "ns/f", None, 7).ndjson().splitlines()
    assert orjson.loads(line) == {"delete": {"_index": "i", "_id": "ns/f", "version": 7, "version_type": "external"}}


def _item(op: str, status: int, error: str | None = None) -> dict[str, dict[str, object]]:
    result: dict[str, object] = {"status": status}
    if error:
        result["error"] = {"type": error, "reason": f"{error} happened"}
    return {op: result}


def test_classify_retries_transient_refuses_permanent_and_accepts_stale() -> None:
    actions = [Action("i", str(n), b"{}") for n in range(6)] + [Action("i", "gone", None)]
    items = [
        _item("index", 201),
        _item("index", 429, "es_rejected_execution_exception"),
        _item("index", 400, "document_parsing_exception"),
        _item("index", 409, "version_conflict_engine_exception"),
        _item("index", 503, "unavailable_shards_exception"),
        _item("index", 403, "cluster_block_exception"),
        _item("delete", 404),
    ]
    outcome = classify(actions, items)
    assert outcome.retry == [1, 4, 5]
    assert [position for position, _ in outcome.refused] == [2]
    assert "document_parsing_exception" in outcome.refused[0][1]
    assert "i/2" in outcome.refused[0][1]
    assert not outcome.complete


def test_a_missing_index_document_is_refused_not_accepted() -> None:
    outcome = classify([Action("i", "x", b"{}")], [_item("index", 404, "index_not_found_exception")])
    assert [position for position, _ in outcome.refused] == [0]
