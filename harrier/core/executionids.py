"""Deterministic execution ids: the same firing always gets the same id.

A firing is identified by what caused it (a trigger and a tick date, an upstream execution's
terminal state, a Kafka record, a client's idempotency key), so if a firing were ever replayed
the executor receives a create for an id it already knows rather than a second execution.
"""

from __future__ import annotations

import hashlib

__all__ = ["execution_id"]


def execution_id(*cause: str | int) -> str:
    """A 32-hex-digit id derived from the parts of ``cause``."""
    seed = "\x1f".join(str(part) for part in cause).encode()
    return hashlib.blake2b(seed, digest_size=16).hexdigest()
