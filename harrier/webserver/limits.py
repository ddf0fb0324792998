"""Request body limits, checked before a body is read whole: 413 naming the limit.

A body becomes a record on a topic (a flow on ``flows``, a webhook's body in its execution's
trigger), and a record over the topic's size is refused only after the request was answered
(the webhook's execution then fails at its first task). So the webserver refuses it at the
door instead, by ``Content-Length`` when the client sends one, else while the body streams in.

| body | limit |
|---|---|
| a webhook's | ``webserver.max-webhook-bytes`` |
| a flow's source (create, update, validate) | ``webserver.max-flow-bytes`` |
| anything else (an execution's inputs and files) | ``webserver.max-request-bytes`` |
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harrier.config.settings import WebserverSettings

__all__ = ["BodyLimits"]

_WEBHOOK = re.compile(r"^/api/v1/(?:[^/]+/)?executions/webhook/")
_FLOWS = re.compile(r"^/api/v1/(?:[^/]+/)?flows(?:/|$)")
_NO_BODY = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


class BodyLimits:
    """ASGI middleware refusing bodies over their limit with 413 and ``{"message": ...}``."""

    def __init__(self, app: ASGIApp, settings: WebserverSettings) -> None:
        self.app = app
        self._webhook = ("webserver.max-webhook-bytes", settings.max_webhook_bytes)
        self._flow = ("webserver.max-flow-bytes", settings.max_flow_bytes)
        self._request = ("webserver.max-request-bytes", settings.max_request_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        setting, limit = self._limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, _message(setting, limit, declared))
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body read; the API's handlers answer it.
                    raise HTTPException(413, _message(setting, limit, None))
            return message

        await self.app(scope, counted, send)

    def _limit(self, path: str) -> tuple[str, int]:
        if _WEBHOOK.match(path):
            return self._webhook
        if _FLOWS.match(path):
            return self._flow
        return self._request


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _message(setting: str, limit: int, size: int | None) -> str:
    got = f"{size:,} bytes" if size is not None else f"over {limit:,} bytes"
    return f"request body is {got}; the limit is {setting} = {limit:,}"


async def _refuse(send: Send, message: str) -> None:
    body = orjson.dumps({"message": message})
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json"),
                                          (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    start: dict[str, Any] = {"type": "http.response.start", "status": 413, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
