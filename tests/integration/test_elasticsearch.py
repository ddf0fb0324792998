"""Index and search round trip with the pinned ``elasticsearch`` client on the real node."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch, NotFoundError

pytestmark = pytest.mark.integration


@pytest.fixture
def es(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


def test_server_major_matches_the_client(es: Elasticsearch) -> None:
    from elasticsearch import __versionstr__

    # The integ-test distribution has no root (GET /) handler; the nodes API has the version.
    [node] = es.nodes.info()["nodes"].values()
    server = node["version"]
    assert server.split(".")[0] == __versionstr__.split(".")[0]


def test_index_and_search_round_trip(es: Elasticsearch, unique: str) -> None:
    index = f"test-{unique}-executions"
    es.indices.create(
        index=index,
        mappings={
            "properties": {
                "namespace": {"type": "keyword"},
                "state": {"type": "keyword"},
                "flow": {"type": "text"},
                "duration_ms": {"type": "long"},
            }
        },
    )
    try:
        docs = [
            {"namespace": "team.a", "state": "SUCCESS", "flow": "nightly report", "duration_ms": 9},
            {"namespace": "team.a", "state": "FAILED", "flow": "nightly export", "duration_ms": 8},
            {"namespace": "team.b", "state": "SUCCESS", "flow": "hourly sync", "duration_ms": 1},
        ]
        for i, doc in enumerate(docs):
            # Deterministic ids: a replay overwrites instead of duplicating.
            es.index(index=index, id=f"exec-{i}", document=doc)
        es.index(index=index, id="exec-0", document=docs[0])
        es.indices.refresh(index=index)

        assert es.count(index=index)["count"] == 3
        result = es.search(
            index=index,
            query={
                "bool": {
                    "filter": [{"term": {"namespace": "team.a"}}],
                    "must": [{"match": {"flow": "nightly"}}],
                }
            },
            sort=[{"duration_ms": "desc"}],
        )
        assert [hit["_id"] for hit in result["hits"]["hits"]] == ["exec-0", "exec-1"]
        assert result["hits"]["hits"][0]["_source"] == docs[0]

        by_state = es.search(
            index=index, size=0, aggs={"states": {"terms": {"field": "state"}}}
        )["aggregations"]["states"]["buckets"]
        assert {b["key"]: b["doc_count"] for b in by_state} == {"SUCCESS": 2, "FAILED": 1}
    finally:
        es.indices.delete(index=index)
    with pytest.raises(NotFoundError):
        es.get(index=index, id="exec-0")
