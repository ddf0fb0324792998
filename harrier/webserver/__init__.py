"""Harrier webserver: the REST API (flows, executions, follow, logs, webhooks) and its server."""

from __future__ import annotations

from harrier.webserver.app import create_app, run_webserver
from harrier.webserver.exceptions import (
    ApiError,
    Conflict,
    NotFound,
    Unauthorized,
    Unavailable,
    Unprocessable,
    WebserverError,
)
from harrier.webserver.fanout import Event, FanOut, Follower
from harrier.webserver.flowtable import FlowTable
from harrier.webserver.options import WebserverOptions

__all__ = [
    "ApiError",
    "Conflict",
    "Event",
    "FanOut",
    "FlowTable",
    "Follower",
    "NotFound",
    "Unauthorized",
    "Unavailable",
    "Unprocessable",
    "WebserverError",
    "WebserverOptions",
    "create_app",
    "run_webserver",
]
