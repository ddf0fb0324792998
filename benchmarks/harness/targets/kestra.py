"""Kestra under test, through its REST API (the same calls its own benchmark makes).

Each execution is one `POST /api/v1/{tenant}/executions/{namespace}/{id}?wait=true`: Kestra
answers when the execution has ended, so the response time is the send-to-terminal latency
and the body carries the final state and Kestra's own duration. (Kestra's own benchmark calls
the flow's webhook; the webhook is served by Kestra's webserver, which cannot run here.)
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx

from benchmarks.harness.exceptions import TargetUnavailable
from benchmarks.harness.samples import SampleBook
from benchmarks.scenarios.catalog import Scenario

__all__ = ["KestraTarget", "iso_duration_s"]

_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>[\d.]+)S)?)?$")


def iso_duration_s(text: str | float | None) -> float | None:
    """Seconds in a Kestra duration: ISO-8601 (`PT1.234S`) or plain seconds; None if absent or malformed."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str) or not text:
        return None
    found = _DURATION.match(text)
    if not found:
        return None
    parts = {k: float(v) for k, v in found.groupdict().items() if v}
    return parts.get("d", 0) * 86400 + parts.get("h", 0) * 3600 + parts.get("m", 0) * 60 + parts.get("s", 0)


class KestraTarget:
    """Drives a Kestra server at `url` (see harrier/infra/kestra.py for running one here)."""

    name = "kestra"

    def __init__(self, url: str, tenant: str = "main", auth: tuple[str, str] | None = None,
                 max_connections: int = 512) -> None:
        self._api = f"{url.rstrip('/')}/api/v1/{tenant}"
        self._client = httpx.AsyncClient(
            auth=auth, timeout=httpx.Timeout(600.0, connect=10.0),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
        self._inflight: set[asyncio.Task[None]] = set()

    async def prepare(self, scenario: Scenario) -> None:
        """Create or update the scenario's flow."""
        if scenario.injection != "execution":
            raise TargetUnavailable("Kestra's kafka and JSONata plugins are not on Maven Central, so its realtime "
                                    "trigger cannot run here (benchmarks/kestra/README.md)")
        source = scenario.flow_source()
        headers = {"Content-Type": "application/x-yaml"}
        try:
            response = await self._client.put(
                f"{self._api}/flows/{scenario.namespace}/{scenario.flow_id}", content=source, headers=headers)
            if response.status_code == 404:
                response = await self._client.post(f"{self._api}/flows", content=source, headers=headers)
        except httpx.HTTPError as exc:
            raise TargetUnavailable(f"kestra at {self._api}: {exc!r}") from None
        if response.status_code >= 300:
            raise TargetUnavailable(
                f"kestra refused flow {scenario.namespace}.{scenario.flow_id}: "
                f"HTTP {response.status_code} {response.text[:200]}")

    async def submit(self, scenario: Scenario, key: str, book: SampleBook, lag_s: float) -> None:
        """Start the request in the background; its answer records the end."""
        book.sent(key, lag_s)
        task = asyncio.create_task(self._run_one(scenario, key, book))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def settle(self) -> None:
        """Nothing to flush: requests are in flight until their executions end."""

    async def quiesce(self, timeout_s: float) -> int:
        """Wait for the requests still open (each ends with its execution)."""
        if not self._inflight:
            return 0
        _, pending = await asyncio.wait(set(self._inflight), timeout=timeout_s)
        return len(pending)

    async def close(self) -> None:
        """Cancel what is still waiting and close the client."""
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        await self._client.aclose()

    async def _run_one(self, scenario: Scenario, key: str, book: SampleBook) -> None:
        started = time.monotonic()
        try:
            execution = await self._create_and_wait(scenario, key)
        except (httpx.HTTPError, ValueError) as exc:
            book.ended(key, "FAILED", error=f"{type(exc).__name__}: {exc}")
            return
        # With wait=true the answer comes at the terminal state: its time is the end-to-end time.
        book.answered(key, time.monotonic() - started)
        state = execution.get("state", {})
        book.ended(key, state.get("current", "FAILED"), server_duration_s=iso_duration_s(state.get("duration")))

    async def _create_and_wait(self, scenario: Scenario, key: str) -> dict[str, Any]:
        response = await self._client.post(
            f"{self._api}/executions/{scenario.namespace}/{scenario.flow_id}",
            params={"wait": "true", "labels": f"bench_key:{key}"},
            files={name: (None, str(value)) for name, value in scenario.inputs.items()} or None,
        )
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]
