"""Webserver exceptions: every error a request can meet, with its HTTP status.

Exception tree::

    WebserverError                 base of everything raised by harrier.webserver
    └── ApiError                   a request cannot be served; carries status, message, details
        ├── Unauthorized           401: missing or wrong credentials
        ├── NotFound               404: unknown flow, revision or execution
        ├── Conflict               409: the resource is in the wrong state (kill of a finished run)
        ├── Unprocessable          422: invalid flow YAML, inputs or parameters
        ├── TooLarge               413: a body or the inputs are over their limit
        ├── TooManyFailures        429: a client failed to authenticate too often; retry later
        └── Unavailable            503: Kafka or Elasticsearch did not answer
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "Conflict",
    "NotFound",
    "TooLarge",
    "TooManyFailures",
    "Unauthorized",
    "Unavailable",
    "Unprocessable",
    "WebserverError",
]


class WebserverError(Exception):
    """Base of the exceptions raised by ``harrier.webserver``."""


class ApiError(WebserverError):
    """An error answered as ``{"message": ..., **details}`` with ``status``."""

    status = 400
    headers: dict[str, str] | None = None

    def __init__(self, message: str, **details: Any) -> None:
        self.message = message
        self.details = details
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return {"message": self.message, **self.details}


class Unauthorized(ApiError):
    """No credentials, or credentials that do not match the configured users or tokens."""

    status = 401

    def __init__(self, message: str, scheme: str | None) -> None:
        super().__init__(message)
        # No challenge (scheme None) for the UI: a browser answers one with its own login dialog.
        self.headers = {"WWW-Authenticate": f'{scheme} realm="harrier"'} if scheme else {}


class TooLarge(ApiError):
    """Over a size limit of the settings; the message names the setting."""

    status = 413


class TooManyFailures(ApiError):
    """A client sent wrong credentials too many times in the window: refused until it passes."""

    status = 429

    def __init__(self, client: str, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins from {client}: retry in {retry_after_s} s")
        self.headers = {"Retry-After": str(retry_after_s)}


class NotFound(ApiError):
    """The flow, revision or execution does not exist."""

    status = 404


class Conflict(ApiError):
    """The request does not fit the resource's current state."""

    status = 409


class Unprocessable(ApiError):
    """The request is well-formed HTTP but its content is invalid."""

    status = 422


class Unavailable(ApiError):
    """A backing service (Kafka, Elasticsearch) did not answer in time."""

    status = 503
