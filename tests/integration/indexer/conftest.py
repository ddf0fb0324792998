"""Fixtures for the indexer against the real broker and Elasticsearch: fresh topics, indices and a running indexer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from confluent_kafka import Producer
from elasticsearch import ApiError, Elasticsearch

from harrier.config import Settings
from harrier.indexer import IndexerStatus, IndexNames, run_indexer
from harrier.indexer.queries import HistoryQueries, LogFilter
from harrier.topics import build_specs, create_admin, create_producer, ensure_topics, topic_name
from harrier.topics.serdes import encode_data, encode_key

T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes a minute or more (select with -m slow)")


@dataclass
class Harness:
    """One isolated installation: its settings, clients and (when started) a running indexer."""

    settings: Settings
    es: Elasticsearch
    producer: Producer
    names: IndexNames
    status: IndexerStatus
    stop: threading.Event
    thread: threading.Thread | None = None

    def topic(self, logical: str) -> str:
        return topic_name(self.settings, logical)

    def send(self, logical: str, key: str | None, kind: str, data: dict[str, Any] | None) -> None:
        value = None if data is None else encode_data(kind, data)
        self.producer.produce(self.topic(logical), value, None if key is None else encode_key(key))

    def flush(self) -> None:
        assert self.producer.flush(30) == 0

    def start(self) -> None:
        self.thread = threading.Thread(
            target=run_indexer, args=(self.settings, self.stop), kwargs={"status": self.status}, daemon=True
        )
        self.thread.start()
        # The indexer creates the fixed indices at start; queries before that would 404.
        wait_for(lambda: self.es.indices.exists(index=self.names.flows), what="the indexer's indices")
        self.es.cluster.health(index=self.names.flows, wait_for_status="yellow", timeout="60s")

    def refresh(self) -> None:
        self.es.options(ignore_status=(404, 503)).indices.refresh(index=f"{self.names.prefix}*")


def searchable_lines(h: Harness) -> int:
    """Log lines searchable now (0 while the first daily index's shards are still starting)."""
    h.refresh()
    try:
        return HistoryQueries(h.es, h.names).logs(LogFilter(), size=1).total.value
    except ApiError as exc:
        if exc.meta.status == 503:
            return 0
        raise


def wait_for(condition: Callable[[], T], timeout_s: float = 60.0, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last value {result!r}")
        time.sleep(0.2)


@pytest.fixture
def harness(kafka_bootstrap: str, es_url: str, unique: str) -> Iterator[Harness]:
    settings = Settings.model_validate({
        "kafka": {"bootstrap-servers": kafka_bootstrap},
        "topics": {"prefix": f"it-{unique}.", "partitions": 2},
        "elasticsearch": {"hosts": [es_url], "index-prefix": f"it-{unique}-"},
        "indexer": {"batch-size": 500, "flush-interval-ms": 100},
    })
    ensure_topics(create_admin(settings), build_specs(settings).values())
    es = Elasticsearch(es_url, request_timeout=60)
    h = Harness(settings, es, create_producer(settings, "it-indexer"), IndexNames(f"it-{unique}-"),
                IndexerStatus(), threading.Event())
    yield h
    h.stop.set()
    if h.thread is not None:
        h.thread.join(60)
    es.options(ignore_status=404).indices.delete(index=f"it-{unique}-*", expand_wildcards="all")
    es.close()
