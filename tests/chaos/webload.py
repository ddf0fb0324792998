"""Steady load through the webserver: webhook calls and API creates at a fixed rate (open loop).

Even requests call the ``hooked`` flow's webhook with ``{"request": n}`` as the body; odd
ones create a ``mixed`` execution through ``POST /api/v1/executions/chaos/mixed`` with the
label ``chaos-request:n``. Either way the number ends up in the create command on
``executions``, so the audit can count the executions each request started.

Each request is sent on its schedule from a pool of threads, whether the webserver is up or
not. A 2xx answer carries the execution id (``answered``); a request the webserver refused
with another status is ``refused``; one that got no answer at all (connection refused while
the webserver was down, or cut off when it was killed) is ``unanswered``: the caller cannot
know whether it started an execution, and the audit reports what it did.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

__all__ = ["REQUEST_LABEL", "WebLoad"]

REQUEST_LABEL = "chaos-request"
# A request in flight when its answer does not come: longer than any create takes, shorter
# than the run's patience.
_REQUEST_TIMEOUT_S = 30.0


class WebLoad:
    """Sends ``total`` requests to the webserver at ``base_url`` at ``rate`` per second."""

    def __init__(self, base_url: str, namespace: str, webhook_flow: str, webhook_key: str, api_flow: str,
                 total: int, rate: float) -> None:
        self._webhook = f"{base_url}/api/v1/executions/webhook/{namespace}/{webhook_flow}/{webhook_key}"
        self._create = f"{base_url}/api/v1/executions/{namespace}/{api_flow}"
        self.total = total
        self._rate = rate
        self._client = httpx.Client(timeout=_REQUEST_TIMEOUT_S, limits=httpx.Limits(max_connections=64))
        self._pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="chaos-web")
        # Request numbers as sent; the execution id each 2xx answer named, by request.
        self.sent: list[int] = []
        self.answered: dict[int, str] = {}
        self.refused: dict[int, int] = {}
        self.unanswered: dict[int, str] = {}
        # Only a broker that refuses an acknowledged send loses an execution; here the webserver
        # answers for it (a 5xx is ``refused``), so nothing is rejected on the client side.
        self.rejected: dict[str, str] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="chaos-webload", daemon=True)
        self.started_at = 0.0

    @property
    def accepted(self) -> set[str]:
        """The execution ids the webserver answered 2xx with: each must run exactly once."""
        with self._lock:
            return set(self.answered.values())

    def start(self) -> None:
        self.started_at = time.monotonic()
        self._thread.start()

    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def done(self) -> bool:
        return not self._thread.is_alive()

    def join(self, timeout_s: float) -> None:
        """Wait for the last send, then for every answer (or its timeout)."""
        self._thread.join(timeout_s)
        self._pool.shutdown(wait=True)
        self._client.close()

    def _run(self) -> None:
        interval = 1.0 / self._rate
        for n in range(self.total):
            due = self.started_at + n * interval
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            self.sent.append(n)
            self._pool.submit(self._request, n)

    def _request(self, n: int) -> None:
        try:
            if n % 2 == 0:
                response = self._client.post(self._webhook, json={"request": n})
            else:
                response = self._client.post(self._create, params={"labels": f"{REQUEST_LABEL}:{n}"})
        except httpx.HTTPError as exc:
            with self._lock:
                self.unanswered[n] = type(exc).__name__
            return
        with self._lock:
            if response.is_success:
                self.answered[n] = response.json()["id"]
            else:
                self.refused[n] = response.status_code
