"""Envelope payloads are sliced, not re-encoded; snapshot states are read in either shape."""

from __future__ import annotations

import orjson
import pytest

from harrier.topics.exceptions import DecodeError
from harrier.topics.serdes import encode_data
from harrier.webserver.payloads import envelope_payload, snapshot_state, state_of


def test_a_harrier_envelope_yields_its_data_bytes() -> None:
    value = encode_data("execution", {"id": "e", "state": "RUNNING", "note": '","data":'})
    payload = envelope_payload(value)
    assert orjson.loads(payload) == {"id": "e", "state": "RUNNING", "note": '","data":'}
    assert value.index(payload) > 0


def test_another_writers_envelope_is_decoded_and_encoded_again() -> None:
    value = b'{ "data": {"a": 1}, "type": "x", "v": 1 }'
    assert orjson.loads(envelope_payload(value)) == {"a": 1}
    with pytest.raises(DecodeError):
        envelope_payload(b'{"v": 2, "type": "x", "data": {}}')


def test_states_in_harrier_and_kestra_shapes() -> None:
    assert snapshot_state(b'{"state":"PAUSED"}')[1] == "PAUSED"
    assert state_of({"state": {"current": "FAILED"}}) == "FAILED"
    assert state_of({"state": 3}) is None
    assert snapshot_state(b"[1]") == ({}, None)
