"""Kafka key and value deserializers for the Kafka triggers, named as Kestra names them.

Numbers are big-endian as Kafka's Java serializers write them; bytes come out as base64
text so they survive JSON. AVRO needs a schema registry and is rejected when the trigger is
loaded rather than at the first record.
"""

from __future__ import annotations

import base64
import struct
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from harrier.core.triggers import SerdeType
from harrier.scheduler.exceptions import TriggerDefinitionError

__all__ = ["deserializer"]

Deserializer = Callable[[bytes | None], Any]


def _struct(fmt: str) -> Deserializer:
    unpack = struct.Struct(fmt).unpack

    def read(raw: bytes | None) -> Any:
        return None if raw is None else unpack(raw)[0]

    return read


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", "replace")


def _bytes(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode()


def _json(raw: bytes | None) -> Any:
    return None if raw is None else orjson.loads(raw)


def _uuid(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    # Java's UUIDSerializer writes the text form; 16 raw bytes are accepted too.
    return str(uuid.UUID(bytes=raw)) if len(raw) == 16 else raw.decode()


_DESERIALIZERS: dict[SerdeType, Deserializer] = {
    SerdeType.STRING: _text,
    SerdeType.INTEGER: _struct(">i"),
    SerdeType.LONG: _struct(">q"),
    SerdeType.SHORT: _struct(">h"),
    SerdeType.FLOAT: _struct(">f"),
    SerdeType.DOUBLE: _struct(">d"),
    SerdeType.BYTE_ARRAY: _bytes,
    SerdeType.BYTE_BUFFER: _bytes,
    SerdeType.BYTES: _bytes,
    SerdeType.UUID: _uuid,
    SerdeType.VOID: lambda raw: None,
    SerdeType.JSON: _json,
}


def deserializer(kind: SerdeType | str, where: str) -> Deserializer:
    """The function turning raw bytes into a value for ``kind``; ``where`` names the field."""
    found = _DESERIALIZERS.get(SerdeType(kind))
    if found is None:
        raise TriggerDefinitionError(f"{where}: {kind} is not supported (needs a schema registry)")
    return found
