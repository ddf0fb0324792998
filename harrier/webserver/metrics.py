"""Prometheus metrics of one webserver app: requests, Kafka consumers, followers, flows.

Each app has its own registry, so several apps in one process (tests) never clash. Gauges
about live objects are read at scrape time from the services (a collector), not kept in step
by the code that changes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harrier.webserver.services import Services

__all__ = ["RequestMetrics", "WebserverMetrics"]


class WebserverMetrics:
    """The registry and the request metrics of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "harrier_webserver_requests", "HTTP requests answered", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "harrier_webserver_request_seconds",
            "Time to answer an HTTP request (to the first byte of a stream)",
            ["method", "route"],
            registry=self.registry,
        )

    def watch(self, services: Callable[[], Services | None]) -> None:
        """Report the live state of ``services`` at every scrape."""
        self.registry.register(_ServicesCollector(services))

    def render(self) -> bytes:
        """The text exposition of every metric."""
        return generate_latest(self.registry)


class _ServicesCollector(Collector):
    def __init__(self, services: Callable[[], Services | None]) -> None:
        self._services = services

    def collect(self) -> Iterator[Metric]:
        services = self._services()
        if services is None:
            return
        consumers = GaugeMetricFamily(
            "harrier_webserver_kafka_consumers", "Kafka consumers this webserver holds, by purpose",
            labels=["purpose"],
        )
        for purpose, count in sorted(services.consumers.items()):
            consumers.add_metric([purpose], count)
        yield consumers
        fanout = services.fanout
        yield GaugeMetricFamily("harrier_webserver_followers", "Open follow subscriptions", value=fanout.followers)
        yield CounterMetricFamily(
            "harrier_webserver_follow_events_delivered", "Events handed to followers", value=fanout.delivered
        )
        yield CounterMetricFamily(
            "harrier_webserver_followers_dropped", "Followers dropped for falling behind", value=fanout.dropped
        )
        yield CounterMetricFamily(
            "harrier_webserver_follow_feed_records", "Records read by the follow feed",
            value=services.follow_feed.records,
        )
        yield GaugeMetricFamily("harrier_webserver_flows", "Flows in the flow table", value=len(services.flows))
        yield GaugeMetricFamily(
            "harrier_webserver_cached_snapshots", "Execution snapshots held for fresh reads",
            value=len(services.snapshots),
        )


class RequestMetrics:
    """ASGI middleware counting requests by route template (not raw path) and status."""

    def __init__(self, app: ASGIApp, metrics: WebserverMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                elapsed = time.perf_counter() - started
                self.metrics.latency.labels(scope["method"], _route(scope)).observe(elapsed)
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            self.metrics.requests.labels(scope["method"], _route(scope), str(status)).inc()


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", "unmatched")
