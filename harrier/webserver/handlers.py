"""Errors as JSON: every error response is ``{"message": "...", ...}`` with a clear message."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from harrier.indexer.exceptions import QueryError
from harrier.scheduler.exceptions import WebhookError
from harrier.storage.exceptions import InvalidStorageUri
from harrier.webserver.exceptions import ApiError

__all__ = ["install_handlers"]

logger = logging.getLogger("harrier.webserver")


def install_handlers(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(QueryError, _unprocessable)
    app.add_exception_handler(InvalidStorageUri, _unprocessable)
    app.add_exception_handler(WebhookError, _webhook_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [_describe(error) for error in exc.errors()]
    return JSONResponse({"message": f"invalid request: {'; '.join(problems)}", "problems": problems}, status_code=422)


async def _unprocessable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"message": str(exc)}, status_code=422)


async def _webhook_error(request: Request, exc: WebhookError) -> Response:
    if exc.status == 204:  # conditions not met: Kestra's answer has no body
        return Response(status_code=204)
    return JSONResponse({"message": str(exc)}, status_code=exc.status)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    return JSONResponse({"message": message}, status_code=exc.status_code, headers=exc.headers)


def _describe(error: dict[str, Any]) -> str:
    # ("query", "size") -> "query parameter size"; ("body", ...) -> "body".
    location = [str(part) for part in error.get("loc", ())]
    where = location[0] if location else "request"
    name = ".".join(location[1:])
    place = {"query": "query parameter", "path": "path parameter", "header": "header"}.get(where, where)
    return f"{place} {name}: {error.get('msg', 'invalid')}" if name else f"{place}: {error.get('msg', 'invalid')}"
