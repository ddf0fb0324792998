"""Checking a user's password against the settings, where it is an argon2 hash.

argon2 is slow on purpose (about 50 ms a check with the library's defaults), and HTTP basic
sends the password with every request: a check that succeeded is remembered (as a SHA-256 of
the user and password, never the password) so the UI's calls do not pay for it each time. The
slow check runs in a thread, off the event loop. A plain-text password in the settings still
works, compared in constant time, and is warned about once at start.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import OrderedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool

__all__ = ["Passwords", "hash_password"]

logger = logging.getLogger("harrier.webserver")

_HASHER = PasswordHasher()
# Checks that succeeded, remembered; the oldest is dropped past this many.
_REMEMBERED = 1024


def hash_password(password: str) -> str:
    """The argon2id hash to put in ``webserver.auth.users``."""
    return _HASHER.hash(password)


class Passwords:
    """The configured users and their password hashes (or plain passwords)."""

    def __init__(self, users: dict[str, str]) -> None:
        self._users = users
        self._verified: OrderedDict[bytes, None] = OrderedDict()
        # A hash checked for a name nobody has, so an unknown user costs what a known one does.
        self._decoy = _HASHER.hash("decoy")
        plain = sorted(name for name, value in users.items() if not _hashed(value))
        if plain:
            logger.warning(
                "webserver.auth.users: plain-text password for %s; store an argon2 hash instead "
                "(harrier auth hash)", ", ".join(plain))

    async def verify(self, user: str, password: str) -> bool:
        """Whether ``password`` is ``user``'s."""
        key = hashlib.sha256(f"{len(user)}:{user}{password}".encode()).digest()
        if key in self._verified:
            self._verified.move_to_end(key)
            return True
        stored = self._users.get(user)
        if stored is not None and not _hashed(stored):
            ok = hmac.compare_digest(stored.encode(), password.encode())
        else:
            ok = await run_in_threadpool(_check, stored or self._decoy, password) and stored is not None
        if ok:
            self._verified[key] = None
            if len(self._verified) > _REMEMBERED:
                self._verified.popitem(last=False)
        return ok


def _hashed(value: str) -> bool:
    return value.startswith("$argon2")


def _check(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
