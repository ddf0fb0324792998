"""Index templates with explicit mappings for logs, metrics, executions and flows.

Every mapping is ``dynamic: false``: a field Harrier adds to a record later is kept in
``_source`` (so the API still returns it) but not indexed, and never changes the mapping. A
document whose *mapped* field has the wrong type (a timestamp that is not a date, say) is
refused by Elasticsearch and goes to the dead-letter topic.

Templates are composable index templates, installed (overwritten) at every indexer start, so
a mapping change ships with the code; existing daily indices keep their mapping, the next
day's index gets the new one.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from harrier.core.tasks.base import LogLevel
from harrier.indexer.indices import IndexNames

__all__ = ["TEMPLATE_VERSION", "install_templates", "templates"]

# Bumped with any mapping change; visible as the template's "version".
TEMPLATE_VERSION = 2

KEYWORD = {"type": "keyword"}

# One shard per index, but two for the daily log indices: a bulk request is split per shard
# and the shards index in parallel on the node's write threads (on a 2-core node, with a
# document per line, 2 shards took raw bulk indexing from 14-56k to 34-72k docs/s; with a
# document per batch, 1 and 2 shards both index 100,000 lines in 0.25-0.45 s). Replicas
# follow the cluster size (none on a single node, so it stays green).
_SETTINGS = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
_LOG_SHARDS = 2

# A log document is a batch of one task run's lines (``LogBatch``). Only what selects
# batches is mapped: their identity, summary and messages. The per-line ``timestamps`` and
# ``levels`` stay in ``_source`` for the query layer, which filters the lines of each hit;
# mapping them cost more than half of Elasticsearch's indexing time.
_LOGS = {
    "dynamic": False,
    "properties": {
        "execution_id": KEYWORD,
        "namespace": KEYWORD,
        "flow_id": KEYWORD,
        "task_id": KEYWORD,
        "task_run_id": KEYWORD,
        "attempt": {"type": "integer"},
        # The distinct levels among the lines, and how many lines of each.
        "level": KEYWORD,
        "counts": {"properties": {level.value: {"type": "integer"} for level in LogLevel}},
        # First and last line; nanoseconds keep the order of lines written within one millisecond.
        "timestamp": {"type": "date_nanos"},
        "last": {"type": "date_nanos"},
        "lines": {"type": "integer"},
        "messages": {"type": "text"},
        # The record's Kafka offset: a tie-breaker giving emission order within an execution.
        "offset": {"type": "long"},
    },
}

_METRICS = {
    "dynamic": False,
    "properties": {
        "execution_id": KEYWORD,
        "namespace": KEYWORD,
        "flow_id": KEYWORD,
        "task_id": KEYWORD,
        "task_run_id": KEYWORD,
        "name": KEYWORD,
        "kind": KEYWORD,
        "value": {"type": "double"},
        "tags": {"type": "flattened"},
        "timestamp": {"type": "date"},
    },
}

_EXECUTIONS = {
    "dynamic": False,
    "properties": {
        "id": KEYWORD,
        "namespace": KEYWORD,
        "flow_id": KEYWORD,
        "flow_revision": {"type": "integer"},
        "state": KEYWORD,
        "labels": {"type": "flattened"},
        "start_date": {"type": "date"},
        "end_date": {"type": "date"},
        "duration_ms": {"type": "long"},
        "parent_id": KEYWORD,
        "updated": {"type": "date"},
        # The whole snapshot, returned by "one execution by id", never searched.
        "execution": {"type": "object", "enabled": False},
    },
}

_FLOWS = {
    "dynamic": False,
    "properties": {
        "namespace": KEYWORD,
        "id": {"type": "keyword", "fields": {"text": {"type": "text"}}},
        "revision": {"type": "integer"},
        "description": {"type": "text"},
        "labels": {"type": "flattened"},
        "disabled": {"type": "boolean"},
        "source": {"type": "text"},
        "updated": {"type": "date"},
    },
}


def templates(names: IndexNames, logs_refresh_ms: int = 250) -> dict[str, dict[str, Any]]:
    """The index templates by name: pattern, settings and mappings of each index family."""
    logs_settings = {"number_of_shards": _LOG_SHARDS, "refresh_interval": f"{logs_refresh_ms}ms"}
    families = {
        "logs": ([names.pattern("logs")], _LOGS, logs_settings),
        "metrics": ([names.pattern("metrics")], _METRICS, {}),
        # Stored newest first, the order the list query asks for: it stops after the page.
        "executions": ([names.executions], _EXECUTIONS, {
            "sort.field": ["start_date", "id"], "sort.order": ["desc", "asc"],
        }),
        "flows": ([names.flows], _FLOWS, {}),
    }
    return {
        f"{names.prefix}{family}": {
            "index_patterns": patterns,
            # Above Elasticsearch's built-in templates (priority 100+ for logs-*-* etc.).
            "priority": 500,
            "version": TEMPLATE_VERSION,
            "template": {"settings": {**_SETTINGS, **extra}, "mappings": mapping},
            "_meta": {"managed_by": "harrier-indexer"},
        }
        for family, (patterns, mapping, extra) in families.items()
    }


def install_templates(es: Elasticsearch, names: IndexNames, logs_refresh_ms: int = 250) -> None:
    """Put every template, then create the executions and flows indices if they are missing.

    Creating the two fixed indices up front lets the query layer search them before the
    first document arrives.
    """
    for name, body in templates(names, logs_refresh_ms).items():
        es.indices.put_index_template(name=name, **body)
    for index in (names.executions, names.flows):
        if not es.indices.exists(index=index):
            es.options(ignore_status=400).indices.create(index=index)
    # A new index answers 503 until its primary shard starts.
    es.cluster.health(index=f"{names.executions},{names.flows}", wait_for_status="yellow", timeout="60s")
