"""Aggregations over the executions index: each flow's latest execution, and counts per state over time.

Both are one Elasticsearch request whatever the number of flows or executions they cover,
so the flows page and the dashboard cost the same at 10,000 flows as at ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from elasticsearch import Elasticsearch

from harrier.indexer.exceptions import QueryError
from harrier.indexer.indices import IndexNames
from harrier.indexer.queries import _bounds, _namespace

__all__ = ["INTERVALS", "ExecutionStats", "Histogram", "pick_interval"]

# Bucket widths a histogram may use, narrowest first, by the name Elasticsearch takes.
INTERVALS: tuple[tuple[str, timedelta], ...] = (
    ("1m", timedelta(minutes=1)),
    ("5m", timedelta(minutes=5)),
    ("15m", timedelta(minutes=15)),
    ("1h", timedelta(hours=1)),
    ("3h", timedelta(hours=3)),
    ("1d", timedelta(days=1)),
)
# A chart reads well with 24 to 60 bars: the narrowest width giving at most this many wins.
_MOST_BUCKETS = 60
# Past this many daily buckets a range is refused rather than sent (Elasticsearch caps buckets).
_MOST_DAYS = 1000
_DEFAULT_RANGE = timedelta(hours=24)
# More than every state there is, so no state's count is cut off.
_STATES = 32
_LATEST_FIELDS = ["id", "state", "start_date"]


@dataclass(frozen=True, slots=True)
class Histogram:
    """Executions started per bucket of ``interval``, by state; every bucket of the range is listed."""

    interval: str
    buckets: list[dict[str, Any]]


def pick_interval(start: datetime, end: datetime) -> str:
    """The narrowest of ``INTERVALS`` that cuts ``[start, end)`` into at most 60 buckets (else 1d)."""
    span = end - start
    for name, width in INTERVALS:
        if span / width <= _MOST_BUCKETS:
            return name
    return INTERVALS[-1][0]


class ExecutionStats:
    """Read-only aggregations over the indexer's executions index."""

    def __init__(self, es: Elasticsearch, names: IndexNames) -> None:
        self._es = es
        self._index = names.executions

    def latest(self, flows: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The newest execution (by start date) of each ``(namespace, flow id)`` that has one:
        ``{"id", "state", "start_date"}``."""
        if not flows:
            return {}
        ids = sorted({flow_id for _, flow_id in flows})
        namespaces = sorted({namespace for namespace, _ in flows})
        # Terms on both fields select a few pairs not asked for when ids repeat across
        # namespaces; the buckets are keyed by pair, so those are left out below.
        latest = {"top_hits": {
            "size": 1, "sort": [{"start_date": {"order": "desc", "missing": "_last"}}],
            "_source": {"includes": _LATEST_FIELDS},
        }}
        aggs = {"flows": {
            "terms": {"field": "flow_id", "size": len(ids)},
            "aggs": {"namespaces": {"terms": {"field": "namespace", "size": len(namespaces)}, "aggs": {"latest": latest}}},
        }}
        query = {"bool": {"filter": [{"terms": {"flow_id": ids}}, {"terms": {"namespace": namespaces}}]}}
        response = self._es.search(
            index=self._index, ignore_unavailable=True, allow_no_indices=True,
            query=query, aggs=aggs, size=0, track_total_hits=False,
        )
        wanted = set(flows)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for flow in response.get("aggregations", {}).get("flows", {}).get("buckets", []):
            for namespace in flow["namespaces"]["buckets"]:
                key = (namespace["key"], flow["key"])
                if key in wanted:
                    source = namespace["latest"]["hits"]["hits"][0]["_source"]
                    found[key] = {name: source.get(name) for name in _LATEST_FIELDS}
        return found

    def histogram(
        self, start: datetime | None = None, end: datetime | None = None, *,
        namespace: str | None = None, flow_id: str | None = None, now: datetime | None = None,
    ) -> Histogram:
        """Executions by start date in ``[start, end)`` (default: the 24 hours before now),
        counted per state, in buckets of an interval picked from the range's length."""
        end = end or (now or datetime.now(timezone.utc))
        start = start or end - _DEFAULT_RANGE
        bounds = _bounds(start, end, "startDate", "endDate")
        if end - start > timedelta(days=_MOST_DAYS):
            raise QueryError(f"endDate: the range may span at most {_MOST_DAYS} days, got {(end - start).days}")
        interval = pick_interval(start, end)
        filters: list[dict[str, Any]] = [{"range": {"start_date": bounds}}]
        if namespace:
            filters.append(_namespace(namespace))
        if flow_id:
            filters.append({"term": {"flow_id": flow_id}})
        aggs = {"over_time": {
            "date_histogram": {
                "field": "start_date", "fixed_interval": interval, "min_doc_count": 0,
                # Empty buckets at both ends too, so the chart's axis is the range asked for.
                "extended_bounds": {"min": _millis(start), "max": _millis(end) - 1},
            },
            "aggs": {"states": {"terms": {"field": "state", "size": _STATES}}},
        }}
        response = self._es.search(
            index=self._index, ignore_unavailable=True, allow_no_indices=True,
            query={"bool": {"filter": filters}}, aggs=aggs, size=0, track_total_hits=False,
        )
        # No executions index yet (the indexer creates it on start): no buckets at all.
        raw = response.get("aggregations", {}).get("over_time", {}).get("buckets", [])
        buckets = [
            {"at": _iso(bucket["key"]), "counts": {s["key"]: s["doc_count"] for s in bucket["states"]["buckets"]}}
            for bucket in raw
        ]
        return Histogram(interval, buckets)


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(millis: int) -> str:
    moment = datetime.fromtimestamp(millis / 1000, timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
