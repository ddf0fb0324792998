"""http Request and Download: send a request with httpx from the asyncio lane.

Request's outputs, as Kestra's: `uri`, `code`, `headers` (name -> list of values), `body`
(text); a response code of 400 or more fails the task unless `allowFailed` is true.
Download streams the body into internal storage, named by `saveAs`, the response's
Content-Disposition or the URL's last segment; 400 or more, or an empty body while
`failOnEmptyResponse` (the default), fails it.
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
from typing import Any
from urllib.parse import unquote

import httpx

from harrier.core.durations import parse_duration
from harrier.core.expressions import to_text
from harrier.core.tasks import Download, Request
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure
from harrier.worker.tasks.fail import is_truthy

__all__ = ["run_download", "run_request"]

# Kestra's options this runner understands; others are reported once in the task's log.
_OPTIONS = {"connectTimeout", "readTimeout", "followRedirects", "basicAuthUser", "basicAuthPassword", "auth", "defaultCharset"}
_DEFAULT_TIMEOUT_S = 60.0


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # Building a context loads the CA bundle (tens of ms): do it once per process.
    return httpx.create_ssl_context()


async def run_request(task: Request, context: RunContext) -> dict[str, Any]:
    """Send the request and return the response as outputs."""
    method, uri, client_args, request_args = _prepared(task, context)
    async with httpx.AsyncClient(**client_args) as client:
        try:
            response = await client.request(method, uri, **request_args)
        except httpx.HTTPError as exc:
            raise _failure(method, uri, exc) from None
    context.logger.debug(f"{method} {uri} -> {response.status_code}")
    outputs = {
        "uri": str(response.request.url),
        "code": response.status_code,
        "headers": _headers(response),
        "body": response.text,
    }
    if response.status_code >= 400 and not is_truthy(task.allow_failed):
        raise TaskFailure(f"{method} {uri} failed with response code {response.status_code}")
    return outputs


async def run_download(task: Download, context: RunContext) -> dict[str, Any]:
    """Stream the response body into internal storage; outputs `uri`, `code`, `length`, `headers`."""
    method, uri, client_args, request_args = _prepared(task, context)
    target = context.working_dir() / "download"
    length = 0
    async with httpx.AsyncClient(**client_args) as client:
        try:
            async with client.stream(method, uri, **request_args) as response:
                if response.status_code >= 400:
                    raise TaskFailure(f"{method} {uri} failed with response code {response.status_code}")
                with target.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
                        length += len(chunk)
        except httpx.HTTPError as exc:
            raise _failure(method, uri, exc) from None
    context.logger.debug(f"{method} {uri} -> {response.status_code}, {length} bytes")
    if length == 0 and is_truthy(task.fail_on_empty_response):
        raise TaskFailure(f"{method} {uri} answered an empty body (failOnEmptyResponse is true)")
    name = str(task.save_as) if task.save_as else _file_name(response)
    stored = await asyncio.to_thread(context.store_file, name, target)
    return {"uri": stored, "code": response.status_code, "length": length, "headers": _headers(response)}


def _prepared(task: Request, context: RunContext) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """The method, URI, client arguments and request arguments `task` describes."""
    options = task.options or {}
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        context.logger.warn(f"options not supported by this worker, ignored: {', '.join(unknown)}")
    headers = {str(k): to_text(v) for k, v in _mapping(task.headers, "headers").items()}
    if task.content_type and not task.form_data:
        headers.setdefault("Content-Type", str(task.content_type))
    timeout = httpx.Timeout(
        _seconds(options.get("readTimeout"), "options.readTimeout") or _DEFAULT_TIMEOUT_S,
        connect=_seconds(options.get("connectTimeout"), "options.connectTimeout") or _DEFAULT_TIMEOUT_S,
    )
    follow = options.get("followRedirects", True)
    client_args = {"verify": _ssl_context(), "timeout": timeout, "follow_redirects": bool(follow), "auth": _auth(options)}
    return str(task.method).upper(), str(task.uri), client_args, {"headers": headers, **_body_arguments(task)}


def _failure(method: str, uri: str, exc: httpx.HTTPError) -> TaskFailure:
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return TaskFailure(f"invalid uri {uri!r}: {exc}")
    return TaskFailure(f"{method} {uri} failed: {type(exc).__name__}: {exc or 'no detail'}")


def _headers(response: httpx.Response) -> dict[str, list[str]]:
    return {name: response.headers.get_list(name) for name in response.headers.keys()}


def _file_name(response: httpx.Response) -> str:
    # Content-Disposition's filename, else the URL path's last segment (Kestra's choice too).
    disposition = response.headers.get("content-disposition", "")
    match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", disposition, re.IGNORECASE)
    name = unquote(match.group(1)) if match else unquote(response.request.url.path.rsplit("/", 1)[-1])
    name = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "")
    return name if name not in ("", ".", "..") else "download"


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
