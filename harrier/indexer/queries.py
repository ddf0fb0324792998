"""The history queries the webserver runs: logs, executions and flows from Elasticsearch.

Totals are capped (``track_total_hits`` = 10,000 by default): past the cap Elasticsearch stops
counting, so a listing stays fast at any size and reports ``Total(10000, exact=False)``,
which a UI shows as "10,000+". Pages are ``page``/``size`` up to the 10,000th result; beyond,
follow ``next_cursor`` (a ``search_after`` position), which works at any depth.

A log document is a batch of lines (``harrier.core.messages.LogBatch``): ``logs`` selects
batches in Elasticsearch and returns their lines, filtered and paged as lines.
"""

from __future__ import annotations

import base64
import collections
import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

import orjson
from elasticsearch import Elasticsearch, NotFoundError

from harrier.core.logbatches import split_batch
from harrier.core.tasks.base import LogLevel
from harrier.indexer.exceptions import QueryError
from harrier.indexer.indices import IndexNames
from harrier.indexer.logsearch import LogSearch

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
_LOG_ORDER = [{"timestamp": "asc"}, {"offset": "asc"}]
# A line's place in a listing: its timestamp, its batch's Kafka offset, its index in the batch.
_LineKey = tuple[datetime, int, int]
# Log batches read per request while filling a page of lines (a batch holds up to 2,000).
_BATCHES_PER_FETCH = 4


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
        """Log lines oldest first (timestamp, then Kafka offset, then place in their batch).

        Elasticsearch selects the batches, oldest first line first; their lines are filtered
        here by level, time and search and merged into one order. The total is exact unless a
        time range or a search filters lines: then it counts the lines seen so far, and is
        exact only once a page-numbered listing reaches its end.
        """
        _check_page(page, size)
        if cursor is not None:
            if page != 1:
                raise QueryError("page: give either page or cursor, not both")
            after: _LineKey | None = _decode_log_cursor(cursor)
            skip = 0
        else:
            after, skip = None, (page - 1) * size
            if skip + size > RESULT_WINDOW:
                raise QueryError(
                    f"page: page {page} of size {size} is past the first {RESULT_WINDOW:,} lines; "
                    "follow next_cursor to go deeper"
                )
        search = LogSearch(where.text) if where.text else None
        lines = _LineFilter.of(where, search)
        selected = _log_documents(where, search)
        query = selected
        if after is not None:
            # Batches that end before the cursor's line hold nothing after it.
            query = {"bool": {"filter": [*selected["bool"]["filter"], {"range": {"last": {"gte": after[0].isoformat()}}}]}}
        body: dict[str, Any] = {"query": query, "sort": _LOG_ORDER, "size": _BATCHES_PER_FETCH, "track_total_hits": False}
        exact_total: int | None = None
        if lines.exact_counts:
            counts = self._es.search(index=self._names.pattern("logs"), ignore_unavailable=True, allow_no_indices=True,
                                     query=selected, size=0, aggs=_line_counts(lines.levels))
            exact_total = int(sum(agg["value"] for agg in counts.get("aggregations", {}).values()))

        def fetch(search_after: list[Any] | None) -> list[dict[str, Any]]:
            request = body if search_after is None else {**body, "search_after": search_after}
            response = self._es.search(index=self._names.pattern("logs"), ignore_unavailable=True,
                                       allow_no_indices=True, **request)
            return response["hits"]["hits"]  # type: ignore[no-any-return]

        merged = _merged_lines(fetch, lines, after)
        skipped = sum(1 for _ in itertools.islice(merged, skip))
        items = list(itertools.islice(merged, size + 1))
        more = len(items) > size
        items = items[:size]
        next_cursor = _encode_cursor(_line_key_json(items[-1])) if more else None
        if exact_total is not None:
            total = Total(exact_total, True)
        else:
            total = Total(skipped + len(items) + int(more), exact=not more and cursor is None)
        return Page(items, total, next_cursor)

    def executions(
        self, where: ExecutionFilter, *, page: int = 1, size: int = 25, cursor: str | None = None,
        excludes: tuple[str, ...] = ("execution",),
    ) -> Page:
        """Execution summaries, newest first; the full snapshot comes from ``execution``.
        ``excludes`` names the source fields left out (by default the whole snapshot)."""
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
        return self._search(self._names.executions, query, sort, page, size, cursor, excludes=excludes)

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
        _check_page(page, size)
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


def _log_documents(where: LogFilter, search: LogSearch | None) -> dict[str, Any]:
    """The query selecting the log batches that may hold lines ``where`` wants."""
    filters: list[dict[str, Any]] = _terms(
        execution_id=where.execution_id, task_run_id=where.task_run_id, task_id=where.task_id,
        flow_id=where.flow_id,
    )
    if where.namespace:
        filters.append(_namespace(where.namespace))
    if where.min_level is not None:
        filters.append({"terms": {"level": _levels_from(where.min_level)}})
    if where.start or where.end:
        # A batch spans its first to its last line: it overlaps [start, end).
        bounds = _bounds(where.start, where.end, "start", "end")
        if "gte" in bounds:
            filters.append({"range": {"last": {"gte": bounds["gte"]}}})
        if "lt" in bounds:
            filters.append({"range": {"timestamp": {"lt": bounds["lt"]}}})
    terms = search.query() if search is not None else None
    if terms is not None:
        filters.append(terms)
    return {"bool": {"filter": filters}}


class _LineFilter:
    """What a log batch's lines must satisfy besides what selected the batch."""

    __slots__ = ("end", "exact_counts", "levels", "search", "start")

    def __init__(self, levels: frozenset[str] | None, start: datetime | None, end: datetime | None,
                 search: LogSearch | None) -> None:
        self.levels = levels
        self.start = start
        self.end = end
        self.search = search
        # Without a time range or a search, the batches' per-level counts sum to the total.
        self.exact_counts = start is None and end is None and search is None

    @classmethod
    def of(cls, where: LogFilter, search: LogSearch | None) -> _LineFilter:
        """The line filter of a query (``search`` is its parsed ``text``)."""
        levels = frozenset(_levels_from(where.min_level)) if where.min_level is not None else None
        return cls(levels, where.start, where.end, search)

    def of_batch(self, batch: dict[str, Any]) -> list[tuple[_LineKey, dict[str, Any]]]:
        """The lines of one log document that pass, in order, each with its sort key; a line
        carries its batch's ``offset`` and its index in the batch (``line``)."""
        # A check the whole batch passes (all its levels wanted, all its lines in range) is skipped.
        levels = self.levels if self.levels is not None and not self.levels.issuperset(batch["level"]) else None
        start = self.start if self.start is not None and _parse(batch["timestamp"]) < self.start else None
        end = self.end if self.end is not None and _parse(batch["last"]) >= self.end else None
        search = self.search
        offset = batch.get("offset")
        lines = []
        for index, line in enumerate(split_batch(batch)):
            if levels is not None and line["level"] not in levels:
                continue
            moment = _parse(line["timestamp"])
            if (start is not None and moment < start) or (end is not None and moment >= end):
                continue
            if search is not None and not search.matches(line["message"]):
                continue
            line["offset"] = offset
            line["line"] = index
            lines.append(((moment, offset, index), line))
        lines.sort(key=itemgetter(0))
        return lines


def _merged_lines(
    fetch: Callable[[list[Any] | None], list[dict[str, Any]]], lines: _LineFilter, after: _LineKey | None
) -> Iterator[dict[str, Any]]:
    """The passing lines of the batches ``fetch`` returns (oldest first line first, a page at
    a time), merged into line order, from just after ``after``.

    A batch is opened only when the next line to yield could come after its first line, so a
    listing reads as many batches as its pages need.
    """
    heap: list[tuple[_LineKey, int, int, list[tuple[_LineKey, dict[str, Any]]]]] = []
    pending: collections.deque[dict[str, Any]] = collections.deque()
    search_after: list[Any] | None = None
    exhausted = False
    opened = 0
    while True:
        if not pending and not exhausted:
            hits = fetch(search_after)
            pending.extend(hits)
            exhausted = len(hits) < _BATCHES_PER_FETCH
            if hits:
                search_after = hits[-1]["sort"]
        if pending:
            first = (_parse(pending[0]["_source"]["timestamp"]), pending[0]["_source"].get("offset", 0), -1)
            if not heap or heap[0][0] >= first:
                batch = [entry for entry in lines.of_batch(pending.popleft()["_source"]) if after is None or entry[0] > after]
                if batch:
                    heapq.heappush(heap, (batch[0][0], opened, 0, batch))
                    opened += 1
                continue
        if not heap:
            return
        _, order, index, batch = heapq.heappop(heap)
        yield batch[index][1]
        if index + 1 < len(batch):
            heapq.heappush(heap, (batch[index + 1][0], order, index + 1, batch))


def _parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def _line_key_json(line: dict[str, Any]) -> list[Any]:
    return [line["timestamp"], line["offset"], line["line"]]


def _line_counts(levels: frozenset[str] | None) -> dict[str, Any]:
    # Sums of the batches' line counts (of the wanted levels): the exact number of lines.
    if levels is None:
        return {"lines": {"sum": {"field": "lines"}}}
    return {level: {"sum": {"field": f"counts.{level}"}} for level in sorted(levels)}


def _check_page(page: int, size: int) -> None:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise QueryError(f"size: must be between 1 and {MAX_PAGE_SIZE}, got {size}")
    if page < 1:
        raise QueryError(f"page: must be 1 or more, got {page}")


def _decode_log_cursor(cursor: str) -> _LineKey:
    values = _decode_cursor(cursor)
    try:
        timestamp, offset, index = values
        key = (_parse(timestamp), int(offset), int(index))
    except (TypeError, ValueError):
        raise QueryError(f"cursor: {cursor!r} is not a cursor this API returned") from None
    if key[0].tzinfo is None:
        raise QueryError(f"cursor: {cursor!r} is not a cursor this API returned")
    return key


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
    return {"range": {name: _bounds(start, end, start_param, end_param)}}


def _bounds(start: datetime | None, end: datetime | None, start_param: str, end_param: str) -> dict[str, str]:
    """``gte``/``lt`` bounds of a time range; ``QueryError`` without a zone or when empty."""
    bounds: dict[str, str] = {}
    for param, value, op in ((start_param, start, "gte"), (end_param, end, "lt")):
        if value is None:
            continue
        if value.tzinfo is None:
            raise QueryError(f"{param}: {value.isoformat()} has no time zone")
        bounds[op] = value.isoformat()
    if start and end and end <= start:
        raise QueryError(f"{end_param}: {end.isoformat()} is not after {start_param} {start.isoformat()}")
    return bounds


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
