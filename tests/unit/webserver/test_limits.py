"""Body limits: 413 naming the setting, by Content-Length or while a body streams in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request

from harrier.config.settings import WebserverSettings
from harrier.webserver.handlers import install_handlers
from harrier.webserver.limits import BodyLimits

SETTINGS = WebserverSettings.model_validate(
    {"max-webhook-bytes": 100, "max-flow-bytes": 200, "max-request-bytes": 300})


def _app() -> FastAPI:
    app = FastAPI()
    install_handlers(app)

    @app.post("/{path:path}")
    async def echo(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    app.add_middleware(BodyLimits, settings=SETTINGS)
    return app


def _post(path: str, content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://app") as client:
            return await client.post(path, content=content)

    return asyncio.run(call())


@pytest.mark.parametrize(("path", "setting", "limit"), [
    ("/api/v1/executions/webhook/ns/f/key", "webserver.max-webhook-bytes", 100),
    ("/api/v1/main/executions/webhook/ns/f/key", "webserver.max-webhook-bytes", 100),
    ("/api/v1/flows", "webserver.max-flow-bytes", 200),
    ("/api/v1/main/flows/validate", "webserver.max-flow-bytes", 200),
    ("/api/v1/executions/ns/f", "webserver.max-request-bytes", 300),
])
def test_each_body_has_its_limit(path: str, setting: str, limit: int) -> None:
    assert _post(path, b"x" * limit).json() == {"read": limit}
    refused = _post(path, b"x" * (limit + 1))
    assert refused.status_code == 413
    assert refused.json() == {"message": f"request body is {limit + 1:,} bytes; the limit is {setting} = {limit:,}"}


def test_a_streamed_body_is_cut_when_it_passes_the_limit() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 50

    refused = _post("/api/v1/executions/webhook/ns/f/key", chunks())
    assert refused.status_code == 413
    assert refused.json()["message"] == "request body is over 100 bytes; the limit is webserver.max-webhook-bytes = 100"
