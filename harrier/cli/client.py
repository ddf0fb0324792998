"""The API client the CLI commands share: where the webserver is and how to authenticate.

httpx is imported when a command talks to the API: `harrier server ...` processes (each
executor stream process among them) never pay for it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import httpx

__all__ = ["add_server_options", "api", "fail_on_error", "server_events"]


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """--server, and credentials from the environment (never on the command line)."""
    parser.add_argument(
        "--server", default=os.environ.get("HARRIER_SERVER", "http://127.0.0.1:8080"),
        help="webserver address (HARRIER_SERVER); HARRIER_TOKEN or HARRIER_USER/HARRIER_PASSWORD authenticate",
    )


def api(args: argparse.Namespace, timeout: float = 30.0) -> httpx.Client:
    """A client for the webserver's /api/v1, authenticated from the environment."""
    import httpx

    headers: dict[str, str] = {}
    auth: tuple[str, str] | None = None
    if token := os.environ.get("HARRIER_TOKEN"):
        headers["Authorization"] = f"Bearer {token}"
    elif user := os.environ.get("HARRIER_USER"):
        auth = (user, os.environ.get("HARRIER_PASSWORD", ""))
    return httpx.Client(base_url=f"{args.server.rstrip('/')}/api/v1", headers=headers, auth=auth, timeout=timeout)


def fail_on_error(response: httpx.Response) -> Any:
    """The JSON body of a successful response; otherwise print the API's message and exit 1."""
    if response.is_success:
        return response.json() if response.content else None
    try:
        body = response.json()
    except ValueError:
        body = {"message": response.text}
    print(f"error: {response.status_code}: {body.get('message', body)}", file=sys.stderr)
    for problem in body.get("problems") or []:
        # A flow's problems are located; an input's are one line of text naming the input.
        if isinstance(problem, dict):
            problem = f"{problem.get('line')}:{problem.get('column')}: {problem.get('path')}: {problem.get('message')}"
        print(f"  {problem}", file=sys.stderr)
    raise SystemExit(1)


def server_events(client: httpx.Client, path: str) -> Iterator[tuple[str, Any]]:
    """(event, JSON data) pairs of a Server-Sent Events stream, until the server ends it."""
    import httpx

    with client.stream("GET", path, timeout=httpx.Timeout(30.0, read=None)) as response:
        if not response.is_success:
            response.read()
            fail_on_error(response)
        kind, data = "message", b""
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip().encode()
            elif not line and data:
                yield kind, orjson.loads(data)
                kind, data = "message", b""
