"""Harrier under test the way a user drives it (`--full`): flows deployed and executions started over HTTP.

The flow is deployed with `POST /api/v1/flows`; each execution is one call of its Webhook
trigger, `POST /api/v1/executions/webhook/{namespace}/{flow}/{key}?bench_key=<harness key>`,
sent from an asyncio task so the sender never waits for an answer (open loop: a slow server
shows as latency, not as a lower offered rate). The query parameter lands in the execution's
`trigger.parameters`, so the terminal snapshot on `execution-states` names the harness key
even when it arrives before the HTTP answer. Latency runs from the send to that snapshot; the
answer time is kept beside it (`http_s`). A call that fails, is not answered within
`timeout_s` in all (queueing for a connection included) or is answered with a status above
299 ends its sample as FAILED: the rung then counts as failing.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from benchmarks.harness.exceptions import TargetUnavailable
from benchmarks.harness.samples import SampleBook
from benchmarks.harness.targets.states import KEY_PARAMETER, StatesObserver
from benchmarks.scenarios.catalog import Scenario

__all__ = ["WebhookTarget"]


class WebhookTarget:
    """Drives a Harrier standalone with its webserver through the API and the webhook."""

    name = "harrier"

    def __init__(self, base_url: str, states: StatesObserver, timeout_s: float = 60.0,
                 max_connections: int = 512, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._states = states
        # One connection per request in flight up to the limit; beyond it requests wait for a
        # connection inside the client, and that wait is part of their latency.
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), limits=limits, transport=transport)
        # httpx's timeout bounds each phase (pool wait, connect, read); this bounds the whole call.
        self._deadline_s = timeout_s
        self._inflight: set[asyncio.Task[None]] = set()

    async def prepare(self, scenario: Scenario) -> None:
        """Deploy the scenario's flow through the API, then start the execution-states observer."""
        if not scenario.webhook_key:
            raise TargetUnavailable(f"{scenario.flow_file} has no Webhook trigger with a key")
        try:
            response = await self._client.post(f"{self._base}/api/v1/flows", content=scenario.flow_source(self.name),
                                               headers={"content-type": "application/x-yaml"})
        except httpx.HTTPError as exc:
            raise TargetUnavailable(f"harrier webserver at {self._base}: {exc!r}") from None
        if response.status_code >= 300:
            raise TargetUnavailable(f"harrier refused {scenario.flow_file}: HTTP {response.status_code} "
                                    f"{response.text[:200]}")
        self._states.start()

    async def submit(self, scenario: Scenario, key: str, book: SampleBook, lag_s: float) -> None:
        """Start the webhook call in the background; the snapshot (or the failed call) records the end."""
        self._states.expect(key, book)
        book.sent(key, lag_s)
        task = asyncio.create_task(self._call(scenario, key, book))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def settle(self) -> None:
        """Wait for the calls still waiting for an answer (each is bounded by the client's timeout)."""
        if self._inflight:
            await asyncio.wait(set(self._inflight))

    async def quiesce(self, timeout_s: float) -> int:
        """Wait until the observer has seen every execution started end."""
        await self.settle()
        deadline = time.monotonic() + timeout_s
        while self._states.running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return len(self._states.running)

    async def close(self) -> None:
        """Cancel the calls in flight, close the client and the observer."""
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        await self._client.aclose()
        self._states.close()

    async def _call(self, scenario: Scenario, key: str, book: SampleBook) -> None:
        url = f"{self._base}/api/v1/executions/webhook/{scenario.namespace}/{scenario.flow_id}/{scenario.webhook_key}"
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._deadline_s):
                response = await self._client.post(url, params={KEY_PARAMETER: key})
        except httpx.HTTPError as exc:
            self._failed(key, book, f"{type(exc).__name__}: {exc}")
            return
        except TimeoutError:
            self._failed(key, book, f"no answer within {self._deadline_s:g} s")
            return
        if response.status_code >= 300:
            self._failed(key, book, f"HTTP {response.status_code} {response.text[:120]}")
            return
        book.answered(key, time.monotonic() - started)

    def _failed(self, key: str, book: SampleBook, error: str) -> None:
        self._states.running.discard(key)
        book.ended(key, "FAILED", error=error)
