from __future__ import annotations

import struct
import uuid

import pytest

from harrier.core.triggers import SerdeType
from harrier.scheduler.deserializers import deserializer
from harrier.scheduler.exceptions import TriggerDefinitionError


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    (SerdeType.STRING, "héllo".encode(), "héllo"),
    (SerdeType.INTEGER, struct.pack(">i", -7), -7),
    (SerdeType.LONG, struct.pack(">q", 2**40), 2**40),
    (SerdeType.SHORT, struct.pack(">h", 300), 300),
    (SerdeType.DOUBLE, struct.pack(">d", 1.5), 1.5),
    (SerdeType.FLOAT, struct.pack(">f", 0.25), 0.25),
    (SerdeType.JSON, b'{"a": [1, 2]}', {"a": [1, 2]}),
    (SerdeType.BYTES, b"\x00\xff", "AP8="),
    (SerdeType.UUID, uuid.UUID(int=5).bytes, str(uuid.UUID(int=5))),
    (SerdeType.UUID, str(uuid.UUID(int=5)).encode(), str(uuid.UUID(int=5))),
    (SerdeType.VOID, b"anything", None),
])
def test_values(kind: SerdeType, raw: bytes, expected: object) -> None:
    assert deserializer(kind, "t")(raw) == expected


def test_null_stays_null() -> None:
    assert deserializer(SerdeType.LONG, "t")(None) is None


def test_avro_is_rejected_up_front() -> None:
    with pytest.raises(TriggerDefinitionError, match="orders/valueDeserializer: AVRO is not supported"):
        deserializer(SerdeType.AVRO, "orders/valueDeserializer")
