from __future__ import annotations

from datetime import datetime, timezone

import pytest

from harrier.indexer.exceptions import QueryError
from harrier.indexer.indices import IndexNames
from harrier.indexer.queries import ExecutionFilter, HistoryQueries, LogFilter

# Every case fails validation before a request is made, so no client is needed.
QUERIES = HistoryQueries(None, IndexNames("h-"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 0}, "size: must be between 1 and 1000"),
        ({"size": 1001}, "size"),
        ({"page": 0}, "page: must be 1 or more"),
        ({"page": 401, "size": 25}, "past the first 10,000 results"),
        ({"page": 2, "cursor": "W10="}, "either page or cursor"),
        ({"cursor": "%%%"}, "cursor:"),
        ({"cursor": "e30="}, "cursor:"),
    ],
)
def test_bad_paging_is_a_query_error_naming_the_parameter(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        QUERIES.executions(ExecutionFilter(), **kwargs)  # type: ignore[arg-type]


def test_unknown_level_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="min_level: 'LOUD'"):
        QUERIES.logs(LogFilter(min_level="LOUD"))


def test_naive_and_inverted_time_ranges_are_query_errors() -> None:
    with pytest.raises(QueryError, match="start: .* has no time zone"):
        QUERIES.logs(LogFilter(start=datetime(2026, 1, 1)))
    later = datetime(2026, 1, 2, tzinfo=timezone.utc)
    earlier = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(QueryError, match="end: .* is not after start"):
        QUERIES.executions(ExecutionFilter(start=later, end=earlier))
