"""One component's probe server: ``/health``, ``/ready`` and ``/metrics`` on their own port.

The executor, worker, scheduler and indexer have no web framework; a stdlib threading HTTP
server is enough for three GET routes and costs one idle thread. Readiness and metrics are
read from the live component at request time (a callback and prometheus collectors), so
nothing has to keep them in step.

- ``GET /health``: 200 while the process runs (liveness).
- ``GET /ready``: 200 when the component's readiness callback returns None, else 503 with
  the reason it returned; the body is JSON either way.
- ``GET /metrics``: the Prometheus text exposition of the server's own registry (the
  component's collectors plus the ``process_*`` metrics).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.registry import Collector

__all__ = ["ProbeServer", "Readiness", "start_probes"]

logger = logging.getLogger("harrier.probes")

# Returns None when the component is ready, otherwise why it is not (shown in /ready).
Readiness = Callable[[], str | None]


class ProbeServer:
    """Serves the probes of ``component`` on ``host``:``port`` (0 = any free port) from a thread."""

    def __init__(
        self,
        component: str,
        ready: Readiness,
        collectors: Iterable[Collector] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.component = component
        self.ready = ready
        # An own registry, not the global one: several components (or tests) in one process
        # must not collide on metric names.
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        for collector in collectors:
            self.registry.register(collector)
        self._address = (host, port)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the chosen one when constructed with port 0)."""
        if self._httpd is None:
            raise RuntimeError("the probe server is not started")
        return int(self._httpd.server_address[1])

    def start(self) -> ProbeServer:
        """Bind (OSError if the port is taken) and serve from a daemon thread."""
        handler = type("Handler", (_Handler,), {"probes": self})
        self._httpd = ThreadingHTTPServer(self._address, handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"harrier-probes-{self.component}", daemon=True
        )
        self._thread.start()
        logger.info("%s probes on http://%s:%d (/health, /ready, /metrics)", self.component, self._address[0], self.port)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ProbeServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def readiness(self) -> str | None:
        """The component's answer; a failing check is a reason, never a crashed request."""
        try:
            return self.ready()
        except Exception as exc:  # noqa: BLE001 - reported as the reason for not being ready
            return f"readiness check failed: {type(exc).__name__}: {exc}"


def start_probes(
    component: str, host: str, port: int, ready: Readiness, collectors: Iterable[Collector] = ()
) -> ProbeServer | None:
    """Start the probe server a component's settings ask for; None when ``port`` is 0 (off).

    A taken port is logged, not fatal: the component's work matters more than its probes,
    and two local runs (``make run`` and a test's standalone) must not stop each other.
    """
    if port == 0:
        return None
    try:
        return ProbeServer(component, ready, collectors, host=host, port=port).start()
    except OSError as exc:
        logger.error("%s probes cannot listen on %s:%d, running without them: %s", component, host, port, exc)
        return None


class _Handler(BaseHTTPRequestHandler):
    probes: ProbeServer

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        path = self.path.split("?", 1)[0]
        component = self.probes.component
        if path == "/health":
            self._json(200, {"status": "UP", "component": component})
        elif path == "/ready":
            reason = self.probes.readiness()
            status = "UP" if reason is None else "DOWN"
            self._json(200 if reason is None else 503, {"status": status, "component": component, "reason": reason})
        elif path == "/metrics":
            self._send(200, generate_latest(self.probes.registry), CONTENT_TYPE_PLAIN_0_0_4)
        else:
            self._json(404, {"error": f"no such probe {path}; use /health, /ready or /metrics"})

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        # Probes are polled every few seconds; a log line per request would drown the real ones.
        pass

    def _json(self, code: int, body: dict[str, object]) -> None:
        self._send(code, json.dumps(body).encode(), "application/json")

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
