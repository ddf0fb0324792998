"""The log search language: matched per line, with Elasticsearch selecting batches first."""

from __future__ import annotations

import pytest

from harrier.indexer.logsearch import LogSearch


@pytest.mark.parametrize(
    ("search", "message", "expected"),
    [
        ("boom", "It went BOOM!", True),
        ("boom went", "it went boom", True),
        ("boom went", "it went", False),
        ('"went boom"', "it went boom", True),
        ('"went boom"', "boom, it went", False),
        ("boo*", "Booming", True),
        ("-boom", "all quiet", True),
        ("-boom", "boom", False),
        ('ok -"went boom"', "ok, it went boom", False),
        ("foo-bar", "a foo bar b", True),
        ("harrier.worker", "from harrier.worker: hi", True),
        ("", "anything", True),
    ],
)
def test_lines_match_every_term_and_no_excluded_one(search: str, message: str, expected: bool) -> None:
    assert LogSearch(search).matches(message) is expected


def test_elasticsearch_gets_only_the_positive_terms_as_typed() -> None:
    query = LogSearch('boom "went off" boo* foo-ba* -quiet').query()
    assert query == {"bool": {"filter": [
        {"match_phrase": {"messages": "boom"}},
        {"match_phrase": {"messages": "went off"}},
        {"prefix": {"messages": "boo"}},
        {"match_phrase_prefix": {"messages": {"query": "foo-ba", "max_expansions": 1000}}},
    ]}}
    # Exclusions alone select every batch: only the lines can be checked for them.
    assert LogSearch("-quiet").query() is None
