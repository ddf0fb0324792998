"""``harrier server indexer``: wire settings, Elasticsearch, Kafka and the loop, then run it."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta

from elasticsearch import Elasticsearch

from harrier.config.settings import Settings
from harrier.indexer.backoff import Backoff
from harrier.indexer.batches import BatchLimits
from harrier.indexer.bulk import BulkShipper
from harrier.indexer.documents import INDEXED_TOPICS, DocumentBuilder
from harrier.indexer.indices import IndexNames
from harrier.indexer.loop import IndexerLoop, commit_counter
from harrier.indexer.probes import IndexerCollector, indexer_readiness
from harrier.indexer.retention import RetentionCleaner
from harrier.indexer.status import IndexerStatus
from harrier.indexer.templates import install_templates
from harrier.probes import start_probes
from harrier.topics.clients import create_consumer, create_producer
from harrier.topics.specs import topic_name

__all__ = ["DEFAULT_RETENTION", "build_loop", "create_elasticsearch", "group_id", "run_indexer"]

logger = logging.getLogger("harrier.indexer")

DEFAULT_RETENTION = timedelta(days=30)

# Larger fetches than the latency-tuned defaults: the indexer wants throughput.
_CONSUMER_OVERRIDES = {"fetch.wait.max.ms": 100, "fetch.min.bytes": 65536}


def create_elasticsearch(settings: Settings) -> Elasticsearch:
    """A client for ``elasticsearch.hosts`` that does not retry by itself (the loop does)."""
    return Elasticsearch(settings.elasticsearch.hosts, max_retries=0, retry_on_timeout=False, request_timeout=30)


def group_id(settings: Settings) -> str:
    """The indexer's consumer group, under the topic prefix so two installations never share it."""
    return f"{settings.topics.prefix}indexer"


def build_loop(
    settings: Settings,
    es: Elasticsearch,
    *,
    retention: timedelta = DEFAULT_RETENTION,
    status: IndexerStatus | None = None,
) -> IndexerLoop:
    """A subscribed consumer, a dead-letter producer and the loop over them."""
    names = IndexNames(settings.elasticsearch.index_prefix)
    topics = {topic_name(settings, kind): kind for kind in INDEXED_TOPICS}
    status = status if status is not None else IndexerStatus()
    overrides = {**_CONSUMER_OVERRIDES, "on_commit": commit_counter(status)}
    consumer = create_consumer(settings, group_id(settings), "harrier-indexer", overrides)
    loop = IndexerLoop(
        consumer,
        DocumentBuilder(names, topics),
        BulkShipper(es),
        create_producer(settings, "harrier-indexer"),
        topic_name(settings, "dead-letters"),
        BatchLimits(
            settings.indexer.batch_size,
            settings.indexer.batch_bytes,
            settings.indexer.flush_interval_ms / 1000,
        ),
        status=status,
        housekeeping=RetentionCleaner(es, names, retention),
    )
    consumer.subscribe(list(topics), on_assign=loop.on_assign, on_revoke=loop.on_revoke, on_lost=loop.on_revoke)
    return loop


def run_indexer(
    settings: Settings,
    stop: threading.Event | None = None,
    *,
    retention: timedelta = DEFAULT_RETENTION,
    status: IndexerStatus | None = None,
) -> None:
    """Run the indexer until ``stop`` is set (or SIGINT/SIGTERM when it is None)."""
    if stop is None:
        stop = _stop_on_signals()
    status = status if status is not None else IndexerStatus()
    # Started before Elasticsearch is reached, so /health answers while the indexer waits.
    probes = start_probes(
        "indexer", settings.indexer.probe_host, settings.indexer.probe_port,
        lambda: indexer_readiness(status), [IndexerCollector(status)],
    )
    try:
        _index(settings, stop, retention, status)
    finally:
        if probes is not None:
            probes.stop()


def _index(settings: Settings, stop: threading.Event, retention: timedelta, status: IndexerStatus) -> None:
    es = create_elasticsearch(settings)
    names = IndexNames(settings.elasticsearch.index_prefix)
    _install_when_reachable(es, names, settings.indexer.logs_refresh_ms, stop)
    loop = build_loop(settings, es, retention=retention, status=status)
    status.started = True
    logger.info("indexer started: group %s, indices %s*", group_id(settings), names.prefix)
    try:
        loop.run(stop)
    finally:
        loop.close()
        es.close()


def _install_when_reachable(es: Elasticsearch, names: IndexNames, logs_refresh_ms: int, stop: threading.Event) -> None:
    # The indexer may start before Elasticsearch: wait for it rather than exit.
    backoff = Backoff(0.5, 10.0)
    while not stop.is_set():
        try:
            install_templates(es, names, logs_refresh_ms)
            return
        except Exception as exc:  # noqa: BLE001 - any failure here means "not reachable yet"
            delay = backoff.next_delay()
            logger.warning("cannot install index templates, retrying in %.1f s: %s", delay, exc)
            stop.wait(delay)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    return stop
