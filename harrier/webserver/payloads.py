"""The ``data`` of an envelope as JSON bytes, without re-encoding when possible.

Harrier's writers splice the payload into a fixed prefix (``harrier.topics.serdes``), so the
payload is a slice of the value; anything else is decoded and encoded again.
"""

from __future__ import annotations

from typing import Any

import orjson

from harrier.topics.serdes import ENVELOPE_VERSION, decode_envelope

__all__ = ["envelope_payload", "snapshot_state", "state_of"]

_HEAD = b'{"v":%d,"type":"' % ENVELOPE_VERSION
_DATA = b'","data":'
# Envelope kinds are at most 64 characters (serdes._KIND).
_KIND_MAX = 64


def envelope_payload(value: bytes) -> bytes:
    """The payload bytes of an envelope; ``DecodeError`` if ``value`` is not one."""
    if value.startswith(_HEAD) and value.endswith(b"}"):
        end = value.find(_DATA, len(_HEAD), len(_HEAD) + _KIND_MAX + len(_DATA))
        if end > 0:
            return value[end + len(_DATA) : -1]
    return orjson.dumps(decode_envelope(value).data)


def snapshot_state(data: bytes) -> tuple[dict[str, Any], str | None]:
    """An execution snapshot's decoded JSON and its state (None when it has no string state)."""
    snapshot = orjson.loads(data)
    if type(snapshot) is not dict:
        return {}, None
    return snapshot, state_of(snapshot)


def state_of(snapshot: dict[str, Any]) -> str | None:
    """The state of a decoded snapshot, or None when it has no string state."""
    state = snapshot.get("state")
    if isinstance(state, dict):
        # Kestra writes {"current": ...}; accept it so hand-written snapshots follow too.
        state = state.get("current")
    return state if isinstance(state, str) else None
