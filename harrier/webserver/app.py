"""``create_app`` and ``run_webserver``: the API, its routes, and the lifespan of its Kafka clients.

On start-up (blocking work runs in a thread): the flow table's consumer reads ``flows`` from
the start, the follow feed's consumer starts at the end of ``execution-states`` and
``logs``, and a producer is opened for deploys and commands. On shutdown they stop in the
reverse order. The app holds exactly two consumers, whatever the number of followers, and a
third from the first reconnecting follower on, which reads back what followers missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from confluent_kafka import Consumer
from elasticsearch import Elasticsearch
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from harrier.config.settings import Settings
from harrier.core import sealing
from harrier.indexer.indices import IndexNames
from harrier.indexer.queries import HistoryQueries
from harrier.indexer.stats import ExecutionStats
from harrier.kv.store import TopicKVStore
from harrier.storage.base import Storage
from harrier.storage.factory import storage_from_settings
from harrier.topics.clients import create_consumer, create_producer, producer_config
from harrier.topics.specs import topic_name
from harrier.webserver.auth import auth_dependency, warn_if_open
from harrier.webserver.deploy import FlowDeployer
from harrier.webserver.exceptions import WebserverError
from harrier.webserver.fanout import FanOut
from harrier.webserver.flowfeed import FlowFeed
from harrier.webserver.flowtable import FlowTable
from harrier.webserver.followfeed import FollowFeed
from harrier.webserver.followreplay import FollowReplay
from harrier.webserver.handlers import install_handlers
from harrier.webserver.limits import BodyLimits
from harrier.webserver.metrics import RequestMetrics, WebserverMetrics
from harrier.webserver.options import WebserverOptions
from harrier.webserver.producer import AsyncProducer
from harrier.webserver.routes import executions, files, flows, kv, logs, nsfiles, stats, system, webhooks
from harrier.webserver.services import Services
from harrier.webserver.snapshots import SnapshotCache
from harrier.webserver.tenants import TENANT_PREFIX, check_tenant
from harrier.webserver.ui import install_ui

__all__ = ["create_app", "run_webserver"]

logger = logging.getLogger("harrier.webserver")

_TOPICS = ("flows", "executions", "execution-states", "logs")
_ES_TIMEOUT_S = 10


def create_app(
    settings: Settings, *, options: WebserverOptions | None = None, storage: Storage | None = None
) -> FastAPI:
    """The webserver application for ``settings``; serve it with uvicorn (``run_webserver``).

    ``storage`` replaces the configured internal storage (tests pass a ``MemoryStorage``).
    ``app.state.services`` holds the running parts while the app's lifespan is active.
    """
    options = options or WebserverOptions()
    sealing.configure(settings.encryption.secret_key)
    metrics = WebserverMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warn_if_open(settings.webserver)
        loop = asyncio.get_running_loop()
        services = await run_in_threadpool(_start, settings, options, storage, loop)
        app.state.services = services
        try:
            yield
        finally:
            await run_in_threadpool(_stop, services)

    app = FastAPI(
        title="Harrier",
        summary="A Kafka-native workflow orchestrator: flows, executions, logs and webhooks.",
        version="0.1.0",
        lifespan=lifespan,
        # Served by install_ui from local files: FastAPI's own pages load Swagger from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.metrics = metrics
    app.state.services = None
    metrics.watch(lambda: app.state.services)
    install_handlers(app)
    guard = auth_dependency(settings.webserver.auth)
    guarded = [Depends(guard)] if guard is not None else []
    app.include_router(system.router)
    app.include_router(system.metrics_router, dependencies=guarded)
    # Every route twice, the same bodies: at /api/v1 and at Kestra 1.x's /api/v1/{tenant}. The
    # tenant routes come second: where a path could be read as either (a namespace named
    # "flows"), the plain one keeps it. Webhooks are authenticated by their key alone.
    tenant = [Depends(check_tenant)]
    for prefix, checks in (("/api/v1", []), (TENANT_PREFIX, tenant)):
        app.include_router(webhooks.router, prefix=prefix, dependencies=checks)
        for router in (flows.router, executions.router, files.router, logs.router, stats.router, kv.router, nsfiles.router):
            app.include_router(router, prefix=prefix, dependencies=[*checks, *guarded])
    install_ui(app, options.ui_dir)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.add_middleware(BodyLimits, settings=settings.webserver)
    if settings.webserver.cors_origins:
        # Closed unless configured: without these headers a browser keeps other sites' pages
        # from reading the API's answers.
        app.add_middleware(CORSMiddleware, allow_origins=settings.webserver.cors_origins,
                           allow_credentials=True, allow_methods=["*"], allow_headers=["*"])
    return app


def run_webserver(settings: Settings, *, options: WebserverOptions | None = None, log_level: str = "info") -> None:
    """Serve the API on ``webserver.host:port`` until SIGINT or SIGTERM (uvicorn handles them).

    The entry point of ``harrier server webserver``.
    """
    uvicorn.run(
        create_app(settings, options=options),
        host=settings.webserver.host,
        port=settings.webserver.port,
        log_level=log_level,
        # uvicorn's lines go through the process's own handler (harrier.processlog); no access
        # log: a line per request (every readiness probe) is not a component's event.
        log_config=None,
        access_log=False,
        # Follow streams and downloads must not hold a shutdown for long.
        timeout_graceful_shutdown=5,
    )


def _start(
    settings: Settings, options: WebserverOptions, storage: Storage | None, loop: asyncio.AbstractEventLoop
) -> Services:
    topics = {name: topic_name(settings, name) for name in _TOPICS}
    consumers: dict[str, int] = {}
    started: list[Callable[[], None]] = []

    def consumer(purpose: str) -> Consumer:
        consumers[purpose] = consumers.get(purpose, 0) + 1
        return create_consumer(settings, None, f"harrier-webserver-{purpose}")

    partitioner = producer_config(settings).get("partitioner", "consistent_random")
    if partitioner != "consistent_random":
        # The follow stream finds an execution's partitions by the default's hash.
        raise WebserverError(f"kafka producer property partitioner: {partitioner!r} is not supported "
                             "(Harrier's producers use librdkafka's default, consistent_random)")
    try:
        table = FlowTable()
        flow_feed = FlowFeed(consumer("flows"), topics["flows"], table)
        flow_feed.start()
        started.append(flow_feed.stop)
        producer = AsyncProducer(create_producer(settings, "harrier-webserver"))
        producer.start()
        started.append(producer.stop)
        fanout = FanOut(options.follower_mailbox)
        snapshots = SnapshotCache(options.snapshot_cache)
        follow_consumer = consumer("follow")
        follow_feed = FollowFeed(
            follow_consumer, topics["execution-states"], topics["logs"], fanout, snapshots, loop
        )
        follow_feed.start()
        started.append(follow_feed.stop)
        # Its consumer is made at the first reconnect that resumes a stream.
        follow_replay = FollowReplay(lambda: consumer("replay"), topics["execution-states"])
        started.append(follow_replay.close)
    except BaseException:
        # A half-started app (Kafka down, topics missing) must not leave threads behind.
        for stop in reversed(started):
            stop()
        raise
    es = Elasticsearch(
        settings.elasticsearch.hosts, max_retries=0, retry_on_timeout=False, request_timeout=_ES_TIMEOUT_S
    )
    names = IndexNames(settings.elasticsearch.index_prefix)
    if not flow_feed.ready.wait(options.startup_timeout_s):
        logger.warning(
            "flow table not caught up after %.0fs; /ready says so until it is", options.startup_timeout_s
        )
    return Services(
        settings=settings,
        options=options,
        topics=topics,
        flows=table,
        flow_feed=flow_feed,
        deployer=FlowDeployer(table, producer, topics["flows"]),
        fanout=fanout,
        snapshots=snapshots,
        follow_feed=follow_feed,
        follow_replay=follow_replay,
        producer=producer,
        es=es,
        history=HistoryQueries(es, names),
        stats=ExecutionStats(es, names),
        storage=storage or storage_from_settings(settings),
        # The KV API's table of the kv topic, opened by the first KV request.
        kv=TopicKVStore(settings, "harrier-webserver"),
        consumers=consumers,
    )


def _stop(services: Services) -> None:
    services.kv.close()
    services.follow_feed.stop()
    services.consumers["follow"] -= 1
    if services.follow_replay.close():
        services.consumers["replay"] -= 1
    services.producer.stop()
    services.flow_feed.stop()
    services.consumers["flows"] -= 1
    services.es.close()
