"""The versioned envelope: round trips and every decode failure as DecodeError."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import (
    ENVELOPE_VERSION,
    ModelSerde,
    decode_envelope,
    decode_key,
    encode_data,
    encode_key,
)


class TaskRun(BaseModel):
    id: str
    state: str
    attempts: int
    started: datetime
    outputs: dict[str, Any] = {}


SERDE = ModelSerde("task-run", TaskRun)
RUN = TaskRun(
    id="tr-1",
    state="SUCCESS",
    attempts=2,
    started=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    outputs={"text": "héllo \"quoted\"", "n": [1, 2.5, None]},
)


def test_model_round_trip() -> None:
    assert SERDE.decode(SERDE.encode(RUN)) == RUN


def test_encoding_is_the_documented_envelope() -> None:
    value = orjson.loads(SERDE.encode(RUN))
    assert value == {"v": ENVELOPE_VERSION, "type": "task-run", "data": RUN.model_dump(mode="json")}


def test_plain_data_round_trip() -> None:
    raw = encode_data("command", {"kind": "kill", "ids": ["a", "b"]})
    envelope = decode_envelope(raw)
    assert envelope.version == 1
    assert envelope.kind == "command"
    assert envelope.data == {"kind": "kill", "ids": ["a", "b"]}


def test_model_bytes_decode_as_plain_envelope() -> None:
    assert decode_envelope(SERDE.encode(RUN)).data["id"] == "tr-1"


def test_unserializable_plain_data_names_the_kind() -> None:
    with pytest.raises(TypeError, match="cannot encode 'command' payload"):
        encode_data("command", {"x": object()})


def test_kind_must_be_safe_to_splice() -> None:
    with pytest.raises(ValueError, match="invalid envelope type"):
        ModelSerde('bad"kind', TaskRun)
    with pytest.raises(ValueError, match="invalid envelope type"):
        encode_data("", {})


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "value is a tombstone (null), not an envelope"),
        (b"{not json", "invalid JSON: "),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"v": 2, "type": "task-run", "data": {}}', "unsupported envelope version 2"),
        (
            b'{"v": 1, "type": "other", "data": {}}',
            "expected envelope type 'task-run', got 'other'",
        ),
        (b'{"v": 1, "type": "task-run"}', "data: Field required"),
        (
            b'{"v": 1, "type": "task-run", "data": {"id": "x", "state": "S", "attempts": "many",'
            b' "started": "2026-01-01T00:00:00Z"}}',
            "data.attempts: Input should be a valid integer",
        ),
    ],
)
def test_model_decode_failures(raw: bytes | None, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        SERDE.decode(raw)
    assert caught.value.reason.startswith(reason)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "value is a tombstone (null), not an envelope"),
        (b"\xff\xfe", "invalid JSON: "),
        (b'"text"', "expected a JSON object, got str"),
        (b'{"type": "x", "data": 1}', "unsupported envelope version None"),
        (b'{"v": 1, "data": 1}', "envelope has no string 'type'"),
        (b'{"v": 1, "type": "x"}', "envelope has no 'data'"),
    ],
)
def test_plain_decode_failures(raw: bytes | None, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_envelope(raw)
    assert caught.value.reason.startswith(reason)


def test_keys() -> None:
    assert decode_key(encode_key("exec-é")) == "exec-é"
    with pytest.raises(DecodeError, match="record has no key"):
        decode_key(None)
    with pytest.raises(DecodeError, match="key is not UTF-8"):
        decode_key(b"\xff")


def test_every_record_writes_utc_timestamps_ending_in_z() -> None:
    from harrier.core.messages import LogBatch
    from harrier.topics.records import LOG_BATCH

    moment = datetime(2026, 12, 3, 18, 0, 0, 250000, tzinfo=UTC)
    batch = LogBatch(execution_id="e1", namespace="ns", flow_id="f", task_id="t", task_run_id="tr", attempt=1,
                     timestamps=[moment], levels=["INFO"], messages=["hi"])
    assert decode_envelope(LOG_BATCH.encode(batch)).data["timestamps"] == ["2026-12-03T18:00:00.250000Z"]
    assert LOG_BATCH.decode(LOG_BATCH.encode(batch)).timestamps == [moment]
    assert decode_envelope(encode_data("x", {"at": moment})).data == {"at": "2026-12-03T18:00:00.250000Z"}
    serde = ModelSerde("task-run", TaskRun)
    run = TaskRun(id="a", state="RUNNING", attempts=1, started=moment)
    assert decode_envelope(serde.encode(run)).data["started"] == "2026-12-03T18:00:00.250000Z"
