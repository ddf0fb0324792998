"""In-process calls into an ASGI app, for tests of single pieces of the API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI


class AppClient:
    """Synchronous calls into an ASGI app in process (no server, no lifespan)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                return await client.get(url, **kwargs)  # type: ignore[arg-type]

        return asyncio.run(call())


@pytest.fixture
def app_client() -> type[AppClient]:
    """The ``AppClient`` class: ``app_client(app).get(url)``."""
    return AppClient
