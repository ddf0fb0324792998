"""A real webserver on a free port over real Kafka and Elasticsearch, with the real indexer.

One stack per test module (fast): topics under a fresh prefix, the indexer in a thread so
list and search endpoints see what was produced, uvicorn serving ``create_app`` in a thread.
Tests play the executor themselves by producing snapshots and log lines (``Stack.emit_*``).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from confluent_kafka import Producer
from elasticsearch import Elasticsearch

from harrier.config.settings import Settings
from harrier.indexer.indices import IndexNames
from harrier.indexer.runner import run_indexer
from harrier.storage.memory import MemoryStorage
from harrier.topics.admin import ensure_topics
from harrier.topics.clients import create_admin, create_producer
from harrier.topics.serdes import encode_data
from harrier.topics.specs import build_specs, topic_name
from harrier.webserver import WebserverOptions, create_app

sys.path.insert(0, str(Path(__file__).parent))

TEST_OPTIONS = WebserverOptions(follow_grace_s=0.3, follow_unknown_wait_s=0.1, follow_keepalive_s=1.0, startup_timeout_s=20)


def make_settings(kafka: str, es: str, prefix: str, auth: dict[str, Any] | None = None) -> Settings:
    """Settings for one test stack; topics and indices under ``prefix``."""
    return Settings.model_validate({
        "kafka": {"bootstrap-servers": kafka},
        "topics": {"prefix": f"{prefix}.", "partitions": 2},
        "elasticsearch": {"hosts": [es], "index-prefix": f"{prefix}-"},
        "indexer": {"flush-interval-ms": 100},
        "webserver": {"auth": auth or {"mode": "none"}},
    })


class Stack:
    """The running webserver and what a test needs around it."""

    def __init__(self, settings: Settings, app: Any, url: str, storage: MemoryStorage) -> None:
        self.settings = settings
        self.app = app
        self.url = url
        self.storage = storage
        self.client = httpx.Client(base_url=url, timeout=30)
        self.producer: Producer = create_producer(settings, "webserver-tests")

    @property
    def services(self) -> Any:
        return self.app.state.services

    def topic(self, logical: str) -> str:
        return topic_name(self.settings, logical)

    def emit_snapshot(self, execution_id: str, state: str, *, namespace: str = "tests", flow_id: str = "flow",
                      outputs: dict[str, Any] | None = None, flush: bool = True, **extra: Any) -> dict[str, Any]:
        """Write an execution snapshot as the executor would."""
        now = datetime.now(timezone.utc).isoformat()
        snapshot = {
            "id": execution_id, "namespace": namespace, "flow_id": flow_id, "flow_revision": 1,
            "state": state, "history": [{"state": state, "at": now}], "inputs": {}, "labels": {},
            "task_runs": [], "outputs": outputs, "created_at": now, **extra,
        }
        self.producer.produce(self.topic("execution-states"), encode_data("execution", snapshot), execution_id.encode())
        if flush:
            self.producer.flush(10)
        return snapshot

    def emit_log(self, execution_id: str, message: str, *, level: str = "INFO", namespace: str = "tests",
                 flow_id: str = "flow", task_id: str | None = "t1", flush: bool = True) -> dict[str, Any]:
        """Write a log line as a worker would (a batch of one); return it as a line."""
        entry = {
            "execution_id": execution_id, "namespace": namespace, "flow_id": flow_id, "task_id": task_id,
            "task_run_id": f"{execution_id}-tr" if task_id else None, "attempt": 1 if task_id else None,
            "level": level, "timestamp": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "message": message,
        }
        batch = {**{k: v for k, v in entry.items() if k not in ("level", "timestamp", "message")},
                 "levels": [level], "timestamps": [entry["timestamp"]], "messages": [message]}
        self.producer.produce(self.topic("logs"), encode_data("log-batch", batch), execution_id.encode())
        if flush:
            self.producer.flush(10)
        return entry

    def eventually(self, check: Any, timeout_s: float = 15.0) -> Any:
        """Poll ``check`` until it returns something truthy (the indexer trails the topics)."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout_s}s: last result {result!r}")
            time.sleep(0.1)


def start_stack(settings: Settings, options: WebserverOptions = TEST_OPTIONS) -> tuple[Stack, uvicorn.Server, threading.Thread]:
    """Serve ``create_app(settings)`` on a free loopback port; returns once it answers."""
    storage = MemoryStorage()
    app = create_app(settings, options=options, storage=storage)
    # proto IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections (it checks the
    # listening socket's proto); with proto 0, Nagle + delayed ACKs add ~40 ms per request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2, backlog=4096))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the webserver did not start")
        time.sleep(0.05)
    return Stack(settings, app, f"http://127.0.0.1:{port}", storage), server, thread


def stop_stack(stack: Stack, server: uvicorn.Server, thread: threading.Thread) -> None:
    stack.client.close()
    stack.producer.flush(5)
    server.should_exit = True
    thread.join(timeout=20)


def drop_topics(settings: Settings) -> None:
    admin = create_admin(settings)
    names = [spec.name for spec in build_specs(settings).values()]
    for future in admin.delete_topics(names, operation_timeout=30).values():
        try:
            future.result()
        except Exception:  # noqa: BLE001 - best effort clean-up
            pass


def drop_indices(settings: Settings) -> None:
    """Delete the indices and index templates the indexer made under this stack's prefix."""
    prefix = settings.elasticsearch.index_prefix
    es = Elasticsearch(settings.elasticsearch.hosts)
    try:
        names = list(es.indices.get(index=f"{prefix}*", allow_no_indices=True, expand_wildcards="all"))
        if names:
            es.indices.delete(index=names)
        templates = es.indices.get_index_template(name=f"{prefix}*").get("index_templates", [])
        for template in templates:
            es.indices.delete_index_template(name=template["name"])
    except Exception:  # noqa: BLE001 - best effort clean-up
        pass
    finally:
        es.close()


@pytest.fixture(scope="module")
def stack_settings(kafka_bootstrap: str, es_url: str) -> Iterator[Settings]:
    """Settings with a fresh prefix and its topics created; the topics are dropped afterwards."""
    settings = make_settings(kafka_bootstrap, es_url, f"ws-{uuid.uuid4().hex[:10]}")
    ensure_topics(create_admin(settings), build_specs(settings).values())
    yield settings
    drop_topics(settings)
    drop_indices(settings)


def wait_for_indices(settings: Settings, timeout_s: float = 60.0) -> None:
    """Wait until the indexer created the executions and flows indices and their shards started.

    A shard that is still being allocated answers 503, which the API passes on as is.
    """
    names = IndexNames(settings.elasticsearch.index_prefix)
    es = Elasticsearch(settings.elasticsearch.hosts)
    deadline = time.monotonic() + timeout_s
    try:
        while not (es.indices.exists(index=names.executions) and es.indices.exists(index=names.flows)):
            if time.monotonic() > deadline:
                raise RuntimeError("the indexer did not create its indices")
            time.sleep(0.1)
        es.cluster.health(index=[names.executions, names.flows], wait_for_status="yellow", timeout=f"{int(timeout_s)}s")
    finally:
        es.close()


@pytest.fixture(scope="module")
def indexer(stack_settings: Settings) -> Iterator[None]:
    """The real indexer shipping this stack's topics to Elasticsearch."""
    stop = threading.Event()
    thread = threading.Thread(target=run_indexer, args=(stack_settings, stop), daemon=True)
    thread.start()
    wait_for_indices(stack_settings)
    yield
    stop.set()
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def stack(stack_settings: Settings, indexer: None) -> Iterator[Stack]:
    """The running webserver for a test module."""
    running, server, thread = start_stack(stack_settings)
    yield running
    stop_stack(running, server, thread)
