"""http Request: send a request with httpx from the asyncio lane.

Outputs, as Kestra's: `uri`, `code`, `headers` (name -> list of values), `body` (text).
A response code of 400 or more fails the task unless `allowFailed` is true.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

from harrier.core.durations import parse_duration
from harrier.core.expressions import to_text
from harrier.core.tasks import Request
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure
from harrier.worker.tasks.fail import is_truthy

__all__ = ["run_request"]

# Kestra's options this runner understands; others are reported once in the task's log.
_OPTIONS = {"connectTimeout", "readTimeout", "followRedirects", "basicAuthUser", "basicAuthPassword", "auth", "defaultCharset"}
_DEFAULT_TIMEOUT_S = 60.0


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # Building a context loads the CA bundle (tens of ms): do it once per process.
    return httpx.create_ssl_context()


async def run_request(task: Request, context: RunContext) -> dict[str, Any]:
    """Send the request and return the response as outputs."""
    options = task.options or {}
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        context.logger.warn(f"options not supported by this worker, ignored: {', '.join(unknown)}")
    method = str(task.method).upper()
    uri = str(task.uri)
    request_args = _body_arguments(task)
    headers = {str(k): to_text(v) for k, v in _mapping(task.headers, "headers").items()}
    if task.content_type and not task.form_data:
        headers.setdefault("Content-Type", str(task.content_type))
    timeout = httpx.Timeout(
        _seconds(options.get("readTimeout"), "options.readTimeout") or _DEFAULT_TIMEOUT_S,
        connect=_seconds(options.get("connectTimeout"), "options.connectTimeout") or _DEFAULT_TIMEOUT_S,
    )
    follow = options.get("followRedirects", True)
    async with httpx.AsyncClient(verify=_ssl_context(), timeout=timeout, follow_redirects=bool(follow), auth=_auth(options)) as client:
        try:
            response = await client.request(method, uri, headers=headers, **request_args)
        except httpx.InvalidURL as exc:
            raise TaskFailure(f"invalid uri {uri!r}: {exc}") from None
        except httpx.UnsupportedProtocol as exc:
            raise TaskFailure(f"invalid uri {uri!r}: {exc}") from None
        except httpx.HTTPError as exc:
            raise TaskFailure(f"{method} {uri} failed: {type(exc).__name__}: {exc or 'no detail'}") from None
    context.logger.debug(f"{method} {uri} -> {response.status_code}")
    outputs = {
        "uri": str(response.request.url),
        "code": response.status_code,
        "headers": {name: response.headers.get_list(name) for name in response.headers.keys()},
        "body": response.text,
    }
    if response.status_code >= 400 and not is_truthy(task.allow_failed):
        raise TaskFailure(f"{method} {uri} failed with response code {response.status_code}")
    return outputs


def _body_arguments(task: Request) -> dict[str, Any]:
    form = _mapping(task.form_data, "formData")
    if form:
        if task.content_type and "multipart/form-data" in str(task.content_type):
            return {"files": {str(k): (None, to_text(v)) for k, v in form.items()}}
        return {"data": {str(k): to_text(v) for k, v in form.items()}}
    if task.body is not None:
        return {"content": task.body if isinstance(task.body, str) else to_text(task.body)}
    return {}


def _auth(options: dict[str, Any]) -> httpx.Auth | None:
    auth = options.get("auth")
    if isinstance(auth, dict):
        kind = str(auth.get("type", "")).upper()
        if kind == "BASIC":
            return httpx.BasicAuth(str(auth.get("username", "")), str(auth.get("password", "")))
        if kind == "BEARER":
            return _Bearer(str(auth.get("token", "")))
        raise TaskFailure(f"property options.auth.type: {kind or 'missing'!r} is not supported; use BASIC or BEARER")
    if options.get("basicAuthUser") is not None:
        return httpx.BasicAuth(str(options["basicAuthUser"]), str(options.get("basicAuthPassword", "")))
    return None


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def _seconds(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return parse_duration(str(value)).total_seconds()
    except ValueError as exc:
        raise TaskFailure(f"property {where}: {exc}") from None


def _mapping(value: Any, where: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TaskFailure(f"property {where}: expected a mapping, got {type(value).__name__}")
    return value
