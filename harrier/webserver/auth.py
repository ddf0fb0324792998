"""Authentication of the API: none, HTTP basic (users) or bearer tokens, from the settings.

Only ``/api/v1`` (but the webhook, which checks its own key) and ``/metrics`` are guarded;
``/health``, ``/ready`` and the OpenAPI document stay open for probes and tooling.
Passwords are argon2 hashes in the settings (``passwords.py``); a client that keeps sending
wrong credentials is throttled (``throttle.py``).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Coroutine
from ipaddress import ip_address
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer

from harrier.config.settings import AuthSettings, WebserverSettings
from harrier.webserver.exceptions import Unauthorized
from harrier.webserver.passwords import Passwords
from harrier.webserver.throttle import FailedLogins

__all__ = ["auth_dependency", "warn_if_open"]

logger = logging.getLogger("harrier.webserver")

Check = Callable[..., Coroutine[Any, Any, None]]


def auth_dependency(auth: AuthSettings) -> Check | None:
    """The dependency that guards routes under ``auth``, or None when auth is off."""
    failures = FailedLogins(auth.max_failed_logins, auth.failed_login_window_s)
    if auth.mode == "basic":
        return _basic(Passwords(auth.users), failures)
    if auth.mode == "bearer":
        return _bearer(auth.tokens, failures)
    return None


def warn_if_open(webserver: WebserverSettings) -> None:
    """Log loudly when the API is served without authentication beyond the loopback."""
    if webserver.auth.mode == "none" and not _loopback(webserver.host):
        logger.warning(
            "webserver listens on %s with auth mode none: anyone who reaches it can deploy and run "
            "flows; set webserver.auth.mode to basic or bearer",
            webserver.host,
        )


def _basic(passwords: Passwords, failures: FailedLogins) -> Check:
    scheme = HTTPBasic(auto_error=False)

    async def check(request: Request, credentials: HTTPBasicCredentials | None = Depends(scheme)) -> None:
        challenge = _challenge(request, "Basic")
        if credentials is None:
            raise Unauthorized("authentication required: send HTTP basic credentials", challenge)
        client = _client(request)
        failures.check(client)
        if not await passwords.verify(credentials.username, credentials.password):
            failures.add(client)
            raise Unauthorized("invalid username or password", challenge)

    return check


def _bearer(tokens: list[str], failures: FailedLogins) -> Check:
    scheme = HTTPBearer(auto_error=False)
    known = [token.encode() for token in tokens]

    async def check(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:
        challenge = _challenge(request, "Bearer")
        if credentials is None:
            raise Unauthorized("authentication required: send Authorization: Bearer <token>", challenge)
        client = _client(request)
        failures.check(client)
        given = credentials.credentials.encode()
        # Every token is compared (no early exit), each in constant time: the time taken does
        # not tell how many tokens there are or which one came close.
        matches = [hmac.compare_digest(token, given) for token in known]
        if not any(matches):
            failures.add(client)
            raise Unauthorized("invalid bearer token", challenge)

    return check


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _challenge(request: Request, scheme: str) -> str | None:
    """The scheme to challenge with, or None for a script's call (the UI sends
    ``X-Requested-With``): a challenge would pop up the browser's own login dialog."""
    return None if request.headers.get("x-requested-with") == "XMLHttpRequest" else scheme


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
