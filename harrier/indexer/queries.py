"""The history queries the webserver runs: logs, executions and flows from Elasticsearch.

Totals are capped (``track_total_hits`` = 10,000 by default): past the cap Elasticsearch stops
counting, so a listing stays fast at any size and reports ``Total(10000, exact=False)``,
which a UI shows as "10,000+". Pages are ``page``/``size`` up to the 10,000th result; beyond,
follow ``next_cursor`` (a ``search_after`` position), which works at any depth.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from elasticsearch import Elasticsearch, NotFoundError

from harrier.core.tasks.base import LogLevel
from harrier.indexer.exceptions import QueryError
from harrier.indexer.indices import IndexNames

__all__ = [
    "ExecutionFilter",
    "FlowFilter",
    "HistoryQueries",
    "LogFilter",
    "Page",
    "Total",
]

MAX_PAGE_SIZE = 1000
# Elasticsearch's index.max_result_window: from + size may not pass it.
RESULT_WINDOW = 10_000
_LEVELS = list(LogLevel)


@dataclass(frozen=True, slots=True)
class Total:
    """How many documents matched; ``exact`` is False when counting stopped at the cap."""

    value: int
    exact: bool


@dataclass(frozen=True, slots=True)
class Page:
    """One page of results; ``next_cursor`` fetches the page after it (None on the last page)."""

    items: list[dict[str, Any]]
    total: Total
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which log lines: all given conditions must hold; ``text`` searches the message."""

    execution_id: str | None = None
    task_run_id: str | None = None
    task_id: str | None = None
    namespace: str | None = None
    flow_id: str | None = None
    min_level: LogLevel | str | None = None
    start: datetime | None = None
    end: datetime | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ExecutionFilter:
    """Which executions; ``namespace`` includes its sub-namespaces, ``labels`` must all match."""

    namespace: str | None = None
    flow_id: str | None = None
    states: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class FlowFilter:
    """Which flows; ``text`` searches id, namespace, description and source."""

    namespace: str | None = None
    text: str | None = None


class HistoryQueries:
    """Read-only queries over the indexer's indices."""

    def __init__(self, es: Elasticsearch, names: IndexNames, total_cap: int = RESULT_WINDOW) -> None:
        self._es = es
        self._names = names
        self.total_cap = total_cap

    def logs(self, where: LogFilter, *, page: int = 1, size: int = 100, cursor: str | None = None) -> Page:
        """Log lines in emission order (timestamp, then Kafka offset)."""
        filters: list[dict[str, Any]] = _terms(
            execution_id=where.execution_id, task_run_id=where.task_run_id, task_id=where.task_id,
            flow_id=where.flow_id,
        )
        if where.namespace:
            filters.append(_namespace(where.namespace))
        if where.min_level is not None:
            filters.append({"terms": {"level": _levels_from(where.min_level)}})
        if where.start or where.end:
            filters.append(_range("timestamp", where.start, where.end, "start", "end"))
        must = [_text(where.text, ["message"])] if where.text else []
        query = {"bool": {"filter": filters, "must": must}}
        return self._search(self._names.pattern("logs"), query, [{"timestamp": "asc"}, {"offset": "asc"}],
                            page, size, cursor, excludes=())

    def executions(
        self, where: ExecutionFilter, *, page: int = 1, size: int = 25, cursor: str | None = None
    ) -> Page:
        """Execution summaries, newest first; the full snapshot comes from ``execution``."""
        filters: list[dict[str, Any]] = _terms(flow_id=where.flow_id)
        if where.namespace:
            filters.append(_namespace(where.namespace))
        if where.states:
            filters.append({"terms": {"state": list(where.states)}})
        for key, value in where.labels.items():
            filters.append({"term": {f"labels.{key}": value}})
        if where.start or where.end:
            filters.append(_range("start_date", where.start, where.end, "start", "end"))
        query = {"bool": {"filter": filters}}
        sort = [{"start_date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
        return self._search(self._names.executions, query, sort, page, size, cursor, excludes=("execution",))

    def execution(self, execution_id: str) -> dict[str, Any] | None:
        """The last indexed snapshot of one execution, or None if it is unknown."""
        try:
            document = self._es.get(index=self._names.executions, id=execution_id, source_includes=["execution"])
        except NotFoundError:
            return None
        return document["_source"]["execution"]  # type: ignore[no-any-return]

    def flows(self, where: FlowFilter, *, page: int = 1, size: int = 25, cursor: str | None = None) -> Page:
        """Flows ordered by namespace and id, or by relevance when ``text`` is given."""
        filters = [_namespace(where.namespace)] if where.namespace else []
        must = [_text(where.text, ["id.text^3", "namespace^2", "description", "source"])] if where.text else []
        sort: list[Any] = [{"namespace": "asc"}, {"id": "asc"}]
        if where.text:
            sort = ["_score", *sort]
        query = {"bool": {"filter": filters, "must": must}}
        return self._search(self._names.flows, query, sort, page, size, cursor, excludes=())

    def _search(
        self, index: str, query: dict[str, Any], sort: list[Any], page: int, size: int,
        cursor: str | None, excludes: tuple[str, ...],
    ) -> Page:
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise QueryError(f"size: must be between 1 and {MAX_PAGE_SIZE}, got {size}")
        if page < 1:
            raise QueryError(f"page: must be 1 or more, got {page}")
        body: dict[str, Any] = {
            "query": query, "sort": sort, "size": size, "track_total_hits": self.total_cap,
        }
        if cursor is not None:
            if page != 1:
                raise QueryError("page: give either page or cursor, not both")
            body["search_after"] = _decode_cursor(cursor)
        else:
            start = (page - 1) * size
            if start + size > RESULT_WINDOW:
                raise QueryError(
                    f"page: page {page} of size {size} is past the first {RESULT_WINDOW:,} results; "
                    "follow next_cursor to go deeper"
                )
            body["from"] = start
        if excludes:
            body["_source"] = {"excludes": list(excludes)}
        response = self._es.search(index=index, ignore_unavailable=True, allow_no_indices=True, **body)
        hits = response["hits"]
        items = [hit["_source"] for hit in hits["hits"]]
        total = Total(hits["total"]["value"], hits["total"]["relation"] == "eq")
        next_cursor = _encode_cursor(hits["hits"][-1]["sort"]) if len(items) == size else None
        return Page(items, total, next_cursor)


def _terms(**fields: str | None) -> list[dict[str, Any]]:
    return [{"term": {name: value}} for name, value in fields.items() if value is not None]


def _namespace(namespace: str) -> dict[str, Any]:
    # A namespace includes its children: "company" matches "company.team".
    return {"bool": {"should": [
        {"term": {"namespace": namespace}},
        {"prefix": {"namespace": f"{namespace}."}},
    ], "minimum_should_match": 1}}


def _levels_from(level: LogLevel | str) -> list[str]:
    try:
        lowest = LogLevel(str(level).upper())
    except ValueError:
        raise QueryError(f"min_level: {level!r} is not one of {', '.join(_LEVELS)}") from None
    return [name.value for name in _LEVELS[_LEVELS.index(lowest):]]


def _range(name: str, start: datetime | None, end: datetime | None, start_param: str, end_param: str) -> dict[str, Any]:
    bounds: dict[str, str] = {}
    for param, value, op in ((start_param, start, "gte"), (end_param, end, "lt")):
        if value is None:
            continue
        if value.tzinfo is None:
            raise QueryError(f"{param}: {value.isoformat()} has no time zone")
        bounds[op] = value.isoformat()
    if start and end and end <= start:
        raise QueryError(f"{end_param}: {end.isoformat()} is not after {start_param} {start.isoformat()}")
    return {"range": {name: bounds}}


def _text(text: str, fields: list[str]) -> dict[str, Any]:
    # simple_query_string never fails on user syntax: "quoted phrase", -exclude, prefix*.
    return {"simple_query_string": {"query": text, "fields": fields, "default_operator": "and"}}


def _encode_cursor(sort_values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(sort_values)).decode()


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise QueryError(f"cursor: {cursor!r} is not a cursor this API returned") from None
    if not isinstance(values, list):
        raise QueryError(f"cursor: {cursor!r} is not a cursor this API returned")
    return values
