"""Records to bulk actions: what each topic's record becomes in Elasticsearch.

| topic            | index                    | document id                  | version        |
|------------------|--------------------------|------------------------------|----------------|
| logs             | <prefix>logs-YYYY.MM.DD  | topic-partition-offset       | -              |
| metrics          | <prefix>metrics-YYYY.MM.DD | topic-partition-offset     | -              |
| execution-states | <prefix>executions       | execution id                 | offset + 1     |
| flows            | <prefix>flows            | namespace/id (the key)       | offset + 1     |

Ids are deterministic, so replaying a record after a crash overwrites instead of
duplicating. Executions and flows use external versioning with the record's offset: one
key always lands on one partition of a keyed topic, so a later offset is a later snapshot
and Elasticsearch never lets an older one overwrite it. A tombstone on ``execution-states``
only means the executor forgot a finished execution: the history document stays. A
tombstone on ``flows`` deletes the flow.

Log lines are the hot path. A ``logs`` record is a ``LogBatch`` (up to 2,000 lines of one task
run) and becomes ONE document: its source is the envelope's ``data`` bytes spliced with a
summary (offset, line count, per-level counts, first and last timestamps), never a re-encoded
dict. Elasticsearch indexes one document of 2,000 messages several times faster than 2,000
documents of one (see ``docs/architecture.md``); the query layer splits batches into lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
import yaml

from harrier.core.tasks.base import LogLevel
from harrier.indexer.actions import Action
from harrier.indexer.exceptions import DocumentError
from harrier.indexer.indices import IndexNames, utc_day
from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import ENVELOPE_VERSION, decode_envelope

__all__ = ["INDEXED_TOPICS", "DocumentBuilder", "execution_document", "flow_document", "log_summary"]

# The logical topics the indexer reads.
INDEXED_TOPICS: tuple[str, ...] = ("logs", "metrics", "execution-states", "flows")


class DocumentBuilder:
    """Turns records of the indexed topics into bulk actions."""

    __slots__ = ("_builders", "names")

    def __init__(self, names: IndexNames, topics: Mapping[str, str]) -> None:
        """``topics`` maps each full topic name to its logical name (``harrier.logs`` -> ``logs``)."""
        self.names = names
        by_kind = {
            "logs": self._log,
            "metrics": self._metric,
            "execution-states": self._execution,
            "flows": self._flow,
        }
        self._builders = {topic: by_kind[kind] for topic, kind in topics.items()}

    def build(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        timestamp_ms: int,
    ) -> Action | None:
        """The action for one record, or None when the record changes nothing in Elasticsearch.

        Raises ``DocumentError`` when the record cannot become a document.
        """
        try:
            builder = self._builders[topic]
        except KeyError:
            raise DocumentError(f"topic {topic!r} is not indexed") from None
        return builder(topic, partition, offset, key, value, timestamp_ms)

    def _log(self, topic: str, partition: int, offset: int, key: bytes | None,
             value: bytes | None, timestamp_ms: int) -> Action:
        data, body = _payload(value, "log-batch")
        summary = log_summary(data, offset)
        day = utc_day(summary["timestamp"])
        if summary.keys() & data.keys():
            source = orjson.dumps({**data, **summary})
        else:
            source = orjson.dumps(summary)[:-1] + b"," + body[1:]
        return Action(self.names.daily("logs", day), f"{topic}-{partition}-{offset}", source)

    def _metric(self, topic: str, partition: int, offset: int, key: bytes | None,
                value: bytes | None, timestamp_ms: int) -> Action:
        data, body = _payload(value, "metric")
        day = utc_day(data.get("timestamp"))
        return Action(self.names.daily("metrics", day), f"{topic}-{partition}-{offset}", body)

    def _execution(self, topic: str, partition: int, offset: int, key: bytes | None,
                   value: bytes | None, timestamp_ms: int) -> Action | None:
        if value is None:
            return None
        data, _ = _payload(value, "execution")
        execution_id = data.get("id") or _key(key)
        document = execution_document(data, execution_id, timestamp_ms)
        return Action(self.names.executions, execution_id, orjson.dumps(document), offset + 1)

    def _flow(self, topic: str, partition: int, offset: int, key: bytes | None,
              value: bytes | None, timestamp_ms: int) -> Action:
        uid = _key(key)
        if value is None:
            return Action(self.names.flows, uid, None, offset + 1)
        data, _ = _payload(value, "flow")
        document = flow_document(data, uid, timestamp_ms)
        return Action(self.names.flows, uid, orjson.dumps(document), offset + 1)


def log_summary(data: dict[str, Any], offset: int) -> dict[str, Any]:
    """The searchable summary of a ``LogBatch``'s data: what Elasticsearch filters batches by.

    Every line is checked here (levels known, messages strings, timestamps ISO-8601 with a
    zone), because only the summary is mapped: a bad line would otherwise surface at query time.
    """
    timestamps, levels, messages = data.get("timestamps"), data.get("levels"), data.get("messages")
    if type(timestamps) is not list or type(levels) is not list or type(messages) is not list:
        raise DocumentError("timestamps, levels and messages must be lists")
    if not timestamps or not len(timestamps) == len(levels) == len(messages):
        raise DocumentError(
            f"timestamps, levels and messages must be non-empty and of one length, "
            f"got {len(timestamps)}, {len(levels)}, {len(messages)}"
        )
    counts = Counter(levels)
    unknown = counts.keys() - _LEVEL_NAMES
    if unknown:
        raise DocumentError(f"levels: {sorted(map(str, unknown))} not among {', '.join(_LEVEL_NAMES)}")
    if not all(type(message) is str for message in messages):
        raise DocumentError("messages: every message must be a string")
    for timestamp in timestamps:
        _check_timestamp(timestamp)
    return {
        "offset": offset,
        "lines": len(messages),
        "level": sorted(counts),
        "counts": counts,
        "timestamp": timestamps[0],
        "last": timestamps[-1],
    }


def execution_document(data: dict[str, Any], execution_id: str, updated_ms: int) -> dict[str, Any]:
    """The searchable summary of an execution snapshot (``harrier.core.executions.Execution``),
    with the whole snapshot kept aside for "one execution by id"."""
    start = data.get("created_at")
    end = data.get("ended_at")
    parent = data.get("parent")
    return {
        "id": execution_id,
        "namespace": data.get("namespace"),
        "flow_id": data.get("flow_id"),
        "flow_revision": data.get("flow_revision"),
        "state": data.get("state"),
        "labels": _labels(data.get("labels")),
        "start_date": start,
        "end_date": end,
        "duration_ms": _duration_ms(start, end),
        "parent_id": parent.get("execution_id") if isinstance(parent, dict) else None,
        "updated": updated_ms,
        "execution": data,
    }


def flow_document(data: dict[str, Any], uid: str, updated_ms: int) -> dict[str, Any]:
    """The searchable form of a ``flows`` record (namespace, id, revision, YAML source).

    Description, labels and the disabled flag live in the YAML; a source that does not parse
    is still indexed (its text stays searchable) without them.
    """
    namespace, _, flow_id = uid.rpartition("/")
    source = data.get("source")
    try:
        parsed = yaml.safe_load(source) if isinstance(source, str) else None
    except yaml.YAMLError:
        parsed = None
    flow = parsed if isinstance(parsed, dict) else {}
    description = flow.get("description")
    return {
        "namespace": data.get("namespace", namespace),
        "id": data.get("id", flow_id),
        "revision": data.get("revision"),
        "description": description if isinstance(description, str) else None,
        "labels": _labels(flow.get("labels")),
        "disabled": flow.get("disabled") is True,
        "source": source,
        "updated": updated_ms,
    }


def _payload(value: bytes | None, kind: str) -> tuple[dict[str, Any], bytes]:
    """The data of an envelope of type ``kind`` as a dict and as JSON bytes (a slice of
    ``value`` when possible); a record of another type is refused, not indexed as junk."""
    try:
        envelope = decode_envelope(value)
    except DecodeError as exc:
        raise DocumentError(exc.reason) from None
    if envelope.kind != kind:
        raise DocumentError(f"expected envelope type {kind!r}, got {envelope.kind!r}")
    data = envelope.data
    if type(data) is not dict or not data:
        raise DocumentError("envelope data must be a non-empty JSON object")
    assert value is not None
    prefix = b'{"v":%d,"type":"%s","data":' % (ENVELOPE_VERSION, envelope.kind.encode())
    if value.startswith(prefix) and value.endswith(b"}"):
        return data, value[len(prefix) : -1]
    return data, orjson.dumps(data)


_LEVEL_NAMES = frozenset(level.value for level in LogLevel)


def _check_timestamp(timestamp: object) -> None:
    try:
        parsed = datetime.fromisoformat(timestamp)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DocumentError(f"timestamps: {timestamp!r} is not ISO-8601") from None
    if parsed.tzinfo is None:
        raise DocumentError(f"timestamps: {timestamp!r} has no time zone")


def _key(key: bytes | None) -> str:
    if not key:
        raise DocumentError("record has no key")
    try:
        return key.decode()
    except UnicodeDecodeError:
        raise DocumentError("key is not UTF-8") from None


def _labels(labels: object) -> dict[str, str]:
    # Flows and executions may carry labels as a mapping or as Kestra's [{key, value}] list.
    if isinstance(labels, dict):
        return {str(k): str(v) for k, v in labels.items()}
    if isinstance(labels, list):
        return {
            str(item["key"]): str(item["value"])
            for item in labels
            if isinstance(item, dict) and "key" in item and "value" in item
        }
    return {}


def _duration_ms(start: object, end: object) -> int | None:
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except (ValueError, TypeError):
        return None
    return int(delta.total_seconds() * 1000)
