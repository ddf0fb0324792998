"""Execution snapshots and flows: versioned documents, tombstones, and the list/get/search queries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from harrier.indexer.actions import Action
from harrier.indexer.bulk import BulkShipper
from harrier.indexer.documents import execution_document
from harrier.indexer.queries import ExecutionFilter, FlowFilter, HistoryQueries

from .conftest import Harness, wait_for

pytestmark = pytest.mark.integration

BASE = datetime(2026, 11, 1, tzinfo=timezone.utc)


def snapshot(n: int, state: str, **extra: Any) -> dict[str, Any]:
    """An execution-states payload in the shape of ``harrier.core.executions.Execution``."""
    started = BASE + timedelta(hours=n)
    return {
        "id": f"ex-{n:03d}", "namespace": "acme.team" if n % 2 else "acme", "flow_id": f"flow-{n % 3}",
        "flow_revision": 1, "state": state, "history": [{"state": "CREATED", "at": started.isoformat()}],
        "labels": {"env": "prod" if n % 4 == 0 else "dev"},
        "created_at": started.isoformat(), "ended_at": (started + timedelta(seconds=n)).isoformat(),
        "inputs": {"n": n}, "task_runs": [], **extra,
    }


def executions_count(h: Harness) -> int:
    h.refresh()
    return h.es.count(index=h.names.executions)["count"]


def state_of(h: Harness, execution_id: str) -> str | None:
    h.refresh()
    document = HistoryQueries(h.es, h.names).execution(execution_id)
    return None if document is None else document["state"]


def test_latest_snapshot_wins_and_a_tombstone_keeps_the_history(harness: Harness) -> None:
    harness.start()
    for state in ("CREATED", "RUNNING", "SUCCESS"):
        harness.send("execution-states", "ex-001", "execution", snapshot(1, state))
    harness.send("execution-states", "ex-001", "execution", None)
    # Markers on every partition after the tombstone: once they are indexed, so was it consumed.
    for n in range(100, 110):
        harness.send("execution-states", f"ex-{n:03d}", "execution", snapshot(n, "SUCCESS"))
    harness.flush()
    wait_for(lambda: executions_count(harness) == 11, what="ex-001 and 10 markers")
    assert state_of(harness, "ex-001") == "SUCCESS"
    document = harness.es.get(index=harness.names.executions, id="ex-001")
    assert document["_version"] >= 3
    # An older snapshot replayed (a lower offset as version) must not overwrite the newer one.
    stale = execution_document(snapshot(1, "RUNNING"), "ex-001", 0)
    outcome = BulkShipper(harness.es).ship([Action(harness.names.executions, "ex-001", orjson.dumps(stale), 1)])
    assert outcome.complete and not outcome.refused
    assert state_of(harness, "ex-001") == "SUCCESS"
    assert HistoryQueries(harness.es, harness.names).execution("nope") is None


def test_list_executions_filters_sorts_and_pages(harness: Harness) -> None:
    harness.start()
    states = ["SUCCESS", "FAILED", "RUNNING"]
    for n in range(30):
        harness.send("execution-states", f"ex-{n:03d}", "execution", snapshot(n, states[n % 3]))
    harness.flush()
    wait_for(lambda: executions_count(harness) == 30, what="30 executions")
    queries = HistoryQueries(harness.es, harness.names)

    newest = queries.executions(ExecutionFilter(), size=5)
    assert [item["id"] for item in newest.items] == [f"ex-{n:03d}" for n in range(29, 24, -1)]
    assert newest.total.value == 30 and newest.total.exact
    assert "execution" not in newest.items[0]

    child_ns = queries.executions(ExecutionFilter(namespace="acme.team"), size=100)
    assert {item["namespace"] for item in child_ns.items} == {"acme.team"} and len(child_ns.items) == 15
    parent_ns = queries.executions(ExecutionFilter(namespace="acme"), size=100)
    assert len(parent_ns.items) == 30

    failed_flow1 = queries.executions(ExecutionFilter(flow_id="flow-1", states=("FAILED",)), size=100)
    expected = [n for n in range(30) if n % 3 == 1 and states[n % 3] == "FAILED"]
    assert sorted(item["id"] for item in failed_flow1.items) == [f"ex-{n:03d}" for n in expected]

    prod = queries.executions(ExecutionFilter(labels={"env": "prod"}), size=100)
    assert sorted(item["id"] for item in prod.items) == [f"ex-{n:03d}" for n in range(0, 30, 4)]

    window = queries.executions(ExecutionFilter(start=BASE + timedelta(hours=10), end=BASE + timedelta(hours=13)))
    assert sorted(item["id"] for item in window.items) == ["ex-010", "ex-011", "ex-012"]

    page3 = queries.executions(ExecutionFilter(), page=3, size=5)
    assert [item["id"] for item in page3.items] == [f"ex-{n:03d}" for n in range(19, 14, -1)]
    after = queries.executions(ExecutionFilter(), size=5, cursor=newest.next_cursor)
    assert [item["id"] for item in after.items] == [f"ex-{n:03d}" for n in range(24, 19, -1)]

    full = queries.execution("ex-007")
    assert full == snapshot(7, "FAILED")


def test_total_is_capped_and_reported_as_a_lower_bound(harness: Harness) -> None:
    harness.start()
    for n in range(12):
        harness.send("execution-states", f"ex-{n:03d}", "execution", snapshot(n, "SUCCESS"))
    harness.flush()
    wait_for(lambda: executions_count(harness) == 12, what="12 executions")
    capped = HistoryQueries(harness.es, harness.names, total_cap=10).executions(ExecutionFilter(), size=3)
    assert (capped.total.value, capped.total.exact) == (10, False)
    assert len(capped.items) == 3


def test_flows_are_searchable_by_namespace_and_text_and_deleted_by_tombstone(harness: Harness) -> None:
    harness.start()
    flows = [
        ("acme", "nightly-etl", "Load the warehouse every night", "tasks:\n  - id: load\n    type: io.kestra.Log"),
        ("acme.billing", "invoices", "Send invoices", "tasks:\n  - id: mail\n    type: Http"),
        ("other", "cleanup", "Warehouse cleanup", "tasks:\n  - id: purge"),
    ]
    for namespace, flow_id, description, tasks in flows:
        source = f"id: {flow_id}\nnamespace: {namespace}\ndescription: {description}\n{tasks}\n"
        data = {"namespace": namespace, "id": flow_id, "revision": 1, "source": source}
        harness.send("flows", f"{namespace}/{flow_id}", "flow", data)
    harness.flush()
    queries = HistoryQueries(harness.es, harness.names)

    def flow_ids(where: FlowFilter) -> list[str]:
        harness.refresh()
        return [item["id"] for item in queries.flows(where).items]

    wait_for(lambda: len(flow_ids(FlowFilter())) == 3, what="3 flows")
    assert flow_ids(FlowFilter(namespace="acme")) == ["nightly-etl", "invoices"]
    assert sorted(flow_ids(FlowFilter(text="warehouse"))) == ["cleanup", "nightly-etl"]
    assert flow_ids(FlowFilter(text="Http")) == ["invoices"]
    assert flow_ids(FlowFilter(namespace="acme", text="warehouse")) == ["nightly-etl"]

    harness.send("flows", "acme/nightly-etl", "flow", None)
    harness.flush()
    wait_for(lambda: flow_ids(FlowFilter(namespace="acme")) == ["invoices"], what="the deleted flow gone")
