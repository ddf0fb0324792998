"""Record serialization: JSON values in a versioned envelope, UTF-8 keys.

Every value is one JSON object::

    {"v": 1, "type": "execution", "data": {...}}

``v`` is the envelope version, ``type`` names the payload model, ``data`` is the payload.
The envelope lives in the value rather than in headers so a record stays self-describing when
it is copied (dead letters, the indexer, ``kcat``), and a compacted topic keeps it with the
value. Tombstones (``None`` values) are not envelopes; callers handle them before decoding.

Speed: a model is serialized once by pydantic-core (``to_json``) and spliced into a
pre-encoded prefix, so encoding builds no intermediate dicts. Decoding validates the whole
envelope in one pydantic-core JSON pass. Plain data (dicts, lists) goes through orjson.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Generic, Literal, NamedTuple, TypeVar

import orjson
from pydantic import BaseModel, ValidationError, create_model

from harrier.topics.exceptions import DecodeError

__all__ = [
    "ENVELOPE_VERSION",
    "Envelope",
    "ModelSerde",
    "decode_envelope",
    "decode_key",
    "encode_data",
    "encode_key",
]

ENVELOPE_VERSION = 1

M = TypeVar("M", bound=BaseModel)

# Kinds are spliced into the JSON unescaped, so they are restricted to safe characters.
_KIND = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class Envelope(NamedTuple):
    """A decoded envelope whose payload was not validated against a model."""

    version: int
    kind: str
    data: Any


class ModelSerde(Generic[M]):
    """Encode and decode one pydantic model under one envelope ``type``.

    Build one per model at import time and reuse it: the prefix bytes and the envelope
    validator are prepared once.
    """

    __slots__ = ("_envelope", "_prefix", "kind", "model")

    def __init__(self, kind: str, model: type[M]) -> None:
        self.kind = kind
        self.model = model
        self._prefix = _prefix(kind)
        self._envelope = create_model(
            f"{model.__name__}Envelope",
            v=(Literal[ENVELOPE_VERSION], ...),  # type: ignore[valid-type]
            type=(Literal[kind], ...),  # type: ignore[valid-type]
            data=(model, ...),
        )

    def encode(self, value: M) -> bytes:
        """The envelope bytes of ``value``."""
        return self._prefix + value.__pydantic_serializer__.to_json(value) + b"}"

    def decode(self, raw: bytes | None) -> M:
        """The model in ``raw``; raise ``DecodeError`` with the reason if it is not one."""
        if raw is None:
            raise DecodeError("value is a tombstone (null), not an envelope")
        try:
            return self._envelope.model_validate_json(raw).data  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise DecodeError(_reason(exc, self.kind)) from None


def encode_data(kind: str, data: Any) -> bytes:
    """The envelope bytes of plain JSON-able data (dicts, lists, strings, numbers)."""
    try:
        body = orjson.dumps(data, option=orjson.OPT_UTC_Z)
    except TypeError as exc:
        raise TypeError(f"cannot encode {kind!r} payload: {exc}") from None
    return _prefix(kind) + body + b"}"


def decode_envelope(raw: bytes | None) -> Envelope:
    """Decode an envelope without validating its payload; ``DecodeError`` if malformed."""
    if raw is None:
        raise DecodeError("value is a tombstone (null), not an envelope")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc}") from None
    if type(value) is not dict:
        raise DecodeError(f"expected a JSON object, got {type(value).__name__}")
    version = value.get("v")
    if version != ENVELOPE_VERSION:
        raise DecodeError(f"unsupported envelope version {version!r}")
    kind = value.get("type")
    if type(kind) is not str:
        raise DecodeError("envelope has no string 'type'")
    if "data" not in value:
        raise DecodeError("envelope has no 'data'")
    return Envelope(version, kind, value["data"])


def encode_key(key: str) -> bytes:
    """Keys are UTF-8 strings (execution id, namespace/id, task run id)."""
    return key.encode()


def decode_key(raw: bytes | None) -> str:
    """The string key of a record; ``DecodeError`` if it is missing or not UTF-8."""
    if raw is None:
        raise DecodeError("record has no key")
    try:
        return raw.decode()
    except UnicodeDecodeError as exc:
        raise DecodeError(f"key is not UTF-8: {exc}") from None


@lru_cache(maxsize=256)
def _prefix(kind: str) -> bytes:
    if not _KIND.fullmatch(kind):
        raise ValueError(f"invalid envelope type {kind!r}: use letters, digits and _ . : -")
    return b'{"v":%d,"type":"%s","data":' % (ENVELOPE_VERSION, kind.encode())


def _reason(exc: ValidationError, kind: str) -> str:
    error = exc.errors(include_url=False)[0]
    loc = error["loc"]
    if error["type"] == "json_invalid":
        return f"invalid JSON: {error['ctx']['error']}"
    if error["type"] == "model_type" and not loc:
        return "expected a JSON object"
    if loc == ("v",):
        return f"unsupported envelope version {error.get('input')!r}"
    if loc == ("type",):
        return f"expected envelope type {kind!r}, got {error.get('input')!r}"
    path = ".".join(str(part) for part in loc)
    return f"{path}: {error['msg']}"
