"""Steady load through the webserver: webhook calls and API creates at a fixed rate (open loop).

Even requests call the ``hooked`` flow's webhook with ``{"request": n}`` as the body; odd
ones create a ``mixed`` execution through ``POST /api/v1/executions/chaos/mixed`` with the
label ``chaos-request:n``. Either way the number ends up in the create command on
``executions``, so the audit can count the executions each request started.

Each request is sent on its schedule from a pool of threads, whether the webserver is up or
not, with an ``Idempotency-Key`` of its own. One that gets no answer (connection refused
while the webserver is down, or cut off when it is killed: the caller cannot know whether
it started an execution) is sent again with the same key, once a second, as a careful
client would; ``retried`` records why its first try failed. A 2xx answer carries the
execution id (``answered``): with the key, a retried request must still have started exactly
one. A request the webserver refused with another status is ``refused``; one still without
an answer when its retries ran out is ``unanswered``.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.chaos.openloop import OpenLoop

__all__ = ["REQUEST_LABEL", "WebLoad"]

REQUEST_LABEL = "chaos-request"
# A request in flight when its answer does not come: longer than any create takes, shorter
# than the run's patience.
_REQUEST_TIMEOUT_S = 30.0
# How long an unanswered request is retried: longer than a webserver restart takes.
_RETRY_FOR_S = 90.0


class WebLoad(OpenLoop):
    """Sends ``total`` requests to the webserver at ``base_url`` at ``rate`` per second."""

    def __init__(self, base_url: str, namespace: str, webhook_flow: str, webhook_key: str, api_flow: str,
                 total: int, rate: float) -> None:
        super().__init__(total, rate, "chaos-webload")
        self._webhook = f"{base_url}/api/v1/executions/webhook/{namespace}/{webhook_flow}/{webhook_key}"
        self._create = f"{base_url}/api/v1/executions/{namespace}/{api_flow}"
        self._client = httpx.Client(timeout=_REQUEST_TIMEOUT_S, limits=httpx.Limits(max_connections=64))
        self._pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="chaos-web")
        self._keys = uuid.uuid4().hex[:8]
        # Request numbers as sent; the execution id each 2xx answer named, by request.
        self.sent: list[int] = []
        self.answered: dict[int, str] = {}
        self.refused: dict[int, int] = {}
        self.unanswered: dict[int, str] = {}
        self.retried: dict[int, str] = {}
        # Only a broker that refuses an acknowledged send loses an execution; here the webserver
        # answers for it (a 5xx is ``refused``), so nothing is rejected on the client side.
        self.rejected: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def accepted(self) -> set[str]:
        """The execution ids the webserver answered 2xx with: each must run exactly once."""
        with self._lock:
            return set(self.answered.values())

    def join(self, timeout_s: float) -> None:
        """Wait for the last send, then for every answer (or its timeout)."""
        self._thread.join(timeout_s)
        self._pool.shutdown(wait=True)
        self._client.close()

    def _send(self, n: int) -> None:
        self.sent.append(n)
        self._pool.submit(self._request, n)

    def _request(self, n: int) -> None:
        headers = {"Idempotency-Key": f"chaos-{self._keys}-{n}"}
        give_up = time.monotonic() + _RETRY_FOR_S
        while True:
            try:
                if n % 2 == 0:
                    response = self._client.post(self._webhook, json={"request": n}, headers=headers)
                else:
                    response = self._client.post(
                        self._create, params={"labels": f"{REQUEST_LABEL}:{n}"}, headers=headers,
                    )
                break
            except httpx.HTTPError as exc:
                with self._lock:
                    self.retried.setdefault(n, type(exc).__name__)
                if time.monotonic() > give_up:
                    with self._lock:
                        self.unanswered[n] = type(exc).__name__
                    return
                time.sleep(1.0)
        with self._lock:
            if response.is_success:
                self.answered[n] = response.json()["id"]
            else:
                self.refused[n] = response.status_code
