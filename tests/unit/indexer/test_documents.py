from __future__ import annotations

from datetime import datetime, timedelta, timezone

import orjson
import pytest

from harrier.core.executions import Execution, StateChange
from harrier.core.messages import LogBatch, ParentRef
from harrier.core.states import State
from harrier.core.tasks.base import LogLevel
from harrier.indexer.documents import DocumentBuilder
from harrier.indexer.exceptions import DocumentError
from harrier.indexer.indices import IndexNames
from harrier.topics import ModelSerde
from harrier.topics.records import LOG_BATCH
from harrier.topics.serdes import encode_data

NAMES = IndexNames("h-")
TOPICS = {"p.logs": "logs", "p.metrics": "metrics", "p.execution-states": "execution-states", "p.flows": "flows"}

LOG = {
    "execution_id": "e1", "namespace": "acme", "flow_id": "f", "task_id": "t", "task_run_id": "tr",
    "attempt": 1,
    "timestamps": ["2026-11-25T23:59:59.123456Z", "2026-11-26T00:00:00.5Z", "2026-11-26T00:00:01Z"],
    "levels": ["INFO", "ERROR", "INFO"],
    "messages": ["hello", "boom", "bye"],
}
SUMMARY = {
    "lines": 3, "level": ["ERROR", "INFO"], "counts": {"INFO": 2, "ERROR": 1},
    "timestamp": "2026-11-25T23:59:59.123456Z", "last": "2026-11-26T00:00:01Z",
}


@pytest.fixture
def builder() -> DocumentBuilder:
    return DocumentBuilder(NAMES, TOPICS)


def test_a_log_batch_is_one_document_with_its_summary(builder: DocumentBuilder) -> None:
    action = builder.build("p.logs", 3, 42, b"e1", encode_data("log-batch", LOG), 0)
    assert action is not None
    assert action.doc_id == "p.logs-3-42"
    # The batch's first line decides the day, even when later lines are past midnight.
    assert action.index == "h-logs-2026.11.25"
    assert action.version is None
    assert orjson.loads(action.source) == {**LOG, **SUMMARY, "offset": 42}


def test_a_worker_batch_becomes_a_document(builder: DocumentBuilder) -> None:
    batch = LogBatch(execution_id="e", namespace="n", flow_id="f", timestamps=[datetime(2026, 1, 2, tzinfo=timezone.utc)],
                     levels=[LogLevel.WARN], messages=["careful"])
    action = builder.build("p.logs", 0, 5, b"e", LOG_BATCH.encode(batch), 0)
    assert action is not None and action.index == "h-logs-2026.01.02"
    source = orjson.loads(action.source)
    assert (source["messages"], source["level"], source["counts"], source["offset"]) == (["careful"], ["WARN"], {"WARN": 1}, 5)


def test_log_source_is_reencoded_when_the_envelope_is_not_canonical(builder: DocumentBuilder) -> None:
    value = orjson.dumps({"data": LOG, "type": "log-batch", "v": 1})
    action = builder.build("p.logs", 0, 7, b"e1", value, 0)
    assert orjson.loads(action.source) == {**LOG, **SUMMARY, "offset": 7}  # type: ignore[union-attr]


def test_a_summary_field_in_the_record_is_overwritten_not_duplicated(builder: DocumentBuilder) -> None:
    action = builder.build("p.logs", 0, 9, b"e1", encode_data("log-batch", {**LOG, "offset": 1, "lines": 99}), 0)
    assert orjson.loads(action.source) == {**LOG, **SUMMARY, "offset": 9}  # type: ignore[union-attr]


def test_log_day_follows_utc_when_the_timestamp_has_an_offset(builder: DocumentBuilder) -> None:
    late = {**LOG, "timestamps": ["2026-11-25T23:30:00+00:00"] * 3}
    early = {**LOG, "timestamps": ["2026-11-26T01:30:00+02:00"] * 3}
    assert builder.build("p.logs", 0, 1, None, encode_data("log-batch", late), 0).index == "h-logs-2026.11.25"  # type: ignore[union-attr]
    assert builder.build("p.logs", 0, 2, None, encode_data("log-batch", early), 0).index == "h-logs-2026.11.25"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "invalid JSON"),
        (None, "tombstone"),
        (orjson.dumps({"v": 9, "type": "log-batch", "data": LOG}), "version"),
        (encode_data("log", {**LOG}), "expected envelope type 'log-batch'"),
        (encode_data("log-batch", []), "non-empty JSON object"),
        (encode_data("log-batch", {**LOG, "timestamps": ["2026-11-25T10:00:00Z", "yesterday", "x"]}), "'yesterday' is not ISO"),
        (encode_data("log-batch", {**LOG, "timestamps": ["2026-11-25T10:00:00"] * 3}), "no time zone"),
        (encode_data("log-batch", {k: v for k, v in LOG.items() if k != "timestamps"}), "must be lists"),
        (encode_data("log-batch", {**LOG, "levels": ["INFO"]}), "of one length, got 3, 1, 3"),
        (encode_data("log-batch", {**LOG, "timestamps": [], "levels": [], "messages": []}), "non-empty"),
        (encode_data("log-batch", {**LOG, "levels": ["INFO", "LOUD", "INFO"]}), "LOUD"),
        (encode_data("log-batch", {**LOG, "messages": ["a", 2, "c"]}), "must be a string"),
    ],
)
def test_undecodable_log_records_raise_document_error(
    builder: DocumentBuilder, value: bytes | None, reason: str
) -> None:
    with pytest.raises(DocumentError, match=reason):
        builder.build("p.logs", 0, 1, b"e1", value, 0)


def test_metric_goes_to_the_daily_metrics_index(builder: DocumentBuilder) -> None:
    metric = {"execution_id": "e1", "name": "rows", "kind": "counter", "value": 3.0,
              "timestamp": "2026-01-02T00:00:00Z", "tags": {"a": "b"}}
    action = builder.build("p.metrics", 1, 9, b"e1", encode_data("metric", metric), 0)
    assert (action.index, action.doc_id) == ("h-metrics-2026.01.02", "p.metrics-1-9")  # type: ignore[union-attr]
    assert orjson.loads(action.source) == metric  # type: ignore[union-attr]


def test_execution_snapshot_is_versioned_by_offset_and_summarised(builder: DocumentBuilder) -> None:
    created = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
    execution = Execution(
        id="ex-1", namespace="acme.team", flow_id="f", flow_revision=2, state=State.SUCCESS,
        history=(StateChange(state=State.CREATED, at=created), StateChange(state=State.SUCCESS, at=created)),
        labels={"env": "prod"}, inputs={"x": 1},
        parent=ParentRef(execution_id="ex-0", task_run_id="tr", namespace="acme", flow_id="p"),
        created_at=created, ended_at=created + timedelta(seconds=2.5),
    )
    value = ModelSerde("execution", Execution).encode(execution)
    action = builder.build("p.execution-states", 2, 10, b"ex-1", value, 1234)
    assert (action.index, action.doc_id, action.version) == ("h-executions", "ex-1", 11)  # type: ignore[union-attr]
    document = orjson.loads(action.source)  # type: ignore[union-attr]
    assert document["state"] == "SUCCESS"
    assert document["labels"] == {"env": "prod"}
    assert document["duration_ms"] == 2500
    assert document["parent_id"] == "ex-0"
    assert document["updated"] == 1234
    assert Execution.model_validate(document["execution"]) == execution


def test_execution_states_tombstone_keeps_the_history_document(builder: DocumentBuilder) -> None:
    assert builder.build("p.execution-states", 0, 5, b"ex-1", None, 0) is None


def test_flow_is_keyed_by_uid_and_its_tombstone_deletes(builder: DocumentBuilder) -> None:
    source = "id: hello\nnamespace: acme\ndescription: Greets\nlabels:\n  - key: team\n    value: 7\ndisabled: true\n"
    flow = {"namespace": "acme", "id": "hello", "revision": 3, "source": source}
    action = builder.build("p.flows", 0, 4, b"acme/hello", encode_data("flow", flow), 99)
    assert (action.index, action.doc_id, action.version) == ("h-flows", "acme/hello", 5)  # type: ignore[union-attr]
    document = orjson.loads(action.source)  # type: ignore[union-attr]
    assert (document["description"], document["labels"], document["disabled"]) == ("Greets", {"team": "7"}, True)
    assert document["source"] == source
    delete = builder.build("p.flows", 0, 8, b"acme/hello", None, 0)
    assert delete is not None and delete.is_delete and delete.version == 9


def test_flow_with_broken_yaml_is_still_indexed_by_its_text(builder: DocumentBuilder) -> None:
    flow = {"namespace": "acme", "id": "bad", "revision": 1, "source": "id: [unclosed"}
    document = orjson.loads(builder.build("p.flows", 0, 1, b"acme/bad", encode_data("flow", flow), 0).source)  # type: ignore[union-attr]
    assert (document["source"], document["description"], document["labels"]) == ("id: [unclosed", None, {})


def test_flow_without_key_is_refused(builder: DocumentBuilder) -> None:
    with pytest.raises(DocumentError, match="no key"):
        builder.build("p.flows", 0, 1, None, None, 0)


def test_unknown_topic_is_refused(builder: DocumentBuilder) -> None:
    with pytest.raises(DocumentError, match="not indexed"):
        builder.build("p.other", 0, 1, None, b"{}", 0)


@pytest.mark.parametrize("topic", ["p.logs", "p.metrics", "p.execution-states", "p.flows"])
def test_a_record_of_another_type_is_refused_not_indexed(builder: DocumentBuilder, topic: str) -> None:
    wrong = encode_data("create", {"id": "x", "namespace": "n", "timestamp": "2026-01-02T00:00:00Z"})
    with pytest.raises(DocumentError, match="expected envelope type"):
        builder.build(topic, 0, 1, b"n/x", wrong, 0)
