"""The API client the CLI commands share: where the webserver is, how to authenticate, and
what each error answer means for the person at the terminal.

It calls Kestra 1.x's tenant routes (``/api/v1/main/...``) and reads Kestra's bodies, so
the same commands drive a Kestra server. httpx is imported when a command talks to the
API: `harrier server ...` processes (each executor stream process among them) never pay for it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

from harrier.cli.exceptions import CliError, ExitCode

if TYPE_CHECKING:
    import httpx

__all__ = ["Api", "DEFAULT_SERVER", "TENANT", "StreamBroken", "api_error", "problem_line"]

DEFAULT_SERVER = "http://127.0.0.1:8080"
# Harrier has one tenant; Kestra's open-source server calls its own `main` too.
TENANT = "main"
_CREDENTIALS_HINT = "set HARRIER_TOKEN, or HARRIER_USER and HARRIER_PASSWORD"


class Api:
    """One webserver's ``/api/v1/main``; every call answers the JSON body or raises ``CliError``."""

    def __init__(self, server: str, timeout: float = 30.0) -> None:
        import httpx

        self.server = server.rstrip("/")
        headers: dict[str, str] = {}
        auth: tuple[str, str] | None = None
        if token := os.environ.get("HARRIER_TOKEN"):
            headers["Authorization"] = f"Bearer {token}"
        elif user := os.environ.get("HARRIER_USER"):
            auth = (user, os.environ.get("HARRIER_PASSWORD", ""))
        # Named in a 401's message: which of the variables the server refused.
        self._credentials = (
            "HARRIER_TOKEN" if "Authorization" in headers else "HARRIER_USER/HARRIER_PASSWORD" if auth else None
        )
        self._client = httpx.Client(
            base_url=f"{self.server}/api/v1/{TENANT}", headers=headers, auth=auth, timeout=timeout
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def call(self, method: str, path: str, *, missing: str | None = None, **kwargs: Any) -> httpx.Response:
        """The response to a successful call; ``missing`` is the message for a 404."""
        response = self._client.request(method, path, **kwargs)
        if not response.is_success:
            raise api_error(response, self.server, self._credentials, missing)
        return response

    def json(self, method: str, path: str, *, missing: str | None = None, **kwargs: Any) -> Any:
        """The JSON body of a successful call (None when it has none)."""
        response = self.call(method, path, missing=missing, **kwargs)
        return response.json() if response.content else None

    def pages(self, path: str, params: dict[str, Any], size: int = 200) -> Iterator[dict[str, Any]]:
        """Every item of a Kestra search (``{results, total}``), page after page."""
        page, seen = 1, 0
        while True:
            body = self.json("GET", path, params={**params, "page": page, "size": size})
            yield from body["results"]
            seen += len(body["results"])
            if not body["results"] or seen >= body["total"]:
                return
            page += 1

    def events(self, path: str, deadline: float | None = None, *, missing: str | None = None,
               last_event_id: str | None = None) -> Iterator[tuple[str, Any, str | None]]:
        """(event, JSON data, id) of each event of a Server-Sent Events stream until the server
        ends it, from ``last_event_id`` on when given; ``TimeoutError`` once ``deadline`` (a
        ``time.monotonic()``) passed; ``StreamBroken`` when the connection fails or the server
        answers 5xx (worth reconnecting)."""
        import httpx

        # The server sends a keep-alive comment every 15 s; a read waits no longer than the
        # time left, so a read time-out past the deadline is the command's own time-out.
        read = 60.0 if deadline is None else max(0.1, min(60.0, deadline - time.monotonic()))
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        try:
            with self._client.stream("GET", path, headers=headers, timeout=httpx.Timeout(30.0, read=read)) as response:
                if not response.is_success:
                    response.read()
                    error = api_error(response, self.server, self._credentials, missing)
                    if response.status_code >= 500:
                        raise StreamBroken(str(error))
                    raise error
                yield from _server_events(response, deadline)
        except httpx.ReadTimeout:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError from None
            raise StreamBroken("no keep-alive from the server") from None
        except httpx.TransportError as exc:
            raise StreamBroken(f"{type(exc).__name__}: {exc}") from exc


class StreamBroken(Exception):
    """A Server-Sent Events stream that failed, or was refused for the moment: reconnect."""


def api_error(response: httpx.Response, server: str, credentials: str | None, missing: str | None) -> CliError:
    """What an error answer means, in a line: ``missing`` for a 404, which variables to set
    for a 401 (``credentials`` names the one that was sent), where a 5xx happened, and
    the API's message with its problems otherwise (exit 2 for a refused flow or input)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"message": response.text.strip() or response.reason_phrase}
    message = str(body.get("message") or response.reason_phrase)
    status = response.status_code
    where = f"{response.request.method} {response.request.url.path}"
    if status == 404:
        # Without a ``missing`` message the route itself is unknown: an older or other server.
        return CliError(missing or f"{message} ({status} on {where})")
    if status == 401:
        if credentials:
            return CliError(f"Harrier at {server} refused the credentials in {credentials} (401)")
        return CliError(f"Harrier at {server} needs credentials (401): {_CREDENTIALS_HINT}")
    if status >= 500:
        return CliError(f"Harrier at {server} failed on {where} ({status}): {message}; its log says more")
    # One refused input is often the message itself: print it once.
    problems = tuple(line for line in map(problem_line, body.get("problems") or []) if line not in message)
    return CliError(message, ExitCode.USAGE if status in (400, 422) else ExitCode.FAILED, problems)


def _server_events(response: httpx.Response, deadline: float | None) -> Iterator[tuple[str, Any, str | None]]:
    kind, data, event_id = "message", b"", None
    for line in response.iter_lines():
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip().encode()
        elif not line and data:
            yield kind, orjson.loads(data), event_id
            kind, data = "message", b""


def problem_line(problem: Any) -> str:
    """A flow's problems are located (line:col: path: message); an input's are one line of text."""
    if isinstance(problem, dict):
        return f"{problem.get('line')}:{problem.get('column')}: {problem.get('path')}: {problem.get('message')}"
    return str(problem)

