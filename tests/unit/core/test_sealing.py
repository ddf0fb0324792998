"""SECRET values sealed with AES-256-GCM in Kestra's form, revealed only to render."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from harrier.core import InputValidationError, coerce_inputs, parse_flow, sealing
from harrier.core.secrets import mask

FLOW = parse_flow("""
id: f
namespace: n
inputs:
  - {id: token, type: SECRET, minLength: 4}
  - {id: other, type: SECRET, required: false, defaults: dflt-value}
tasks:
  - {id: t, type: Log, message: m}
""")


def test_a_sealed_value_is_kestras_form_and_reads_back(encryption_key: str) -> None:
    sealed = sealing.seal("hunter2-token")
    assert sealed["type"] == "io.kestra.datatype:aes_encrypted"
    raw = base64.b64decode(sealed["value"])
    # Kestra's layout: a 12-byte IV, then the ciphertext with its 16-byte tag, one AES-256 key.
    assert len(raw) == 12 + len("hunter2-token") + 16
    plain = AESGCM(base64.b64decode(encryption_key)).decrypt(raw[:12], raw[12:], None)
    assert plain == b"hunter2-token"
    assert sealing.seal("hunter2-token") != sealed  # a fresh IV each time
    assert sealing.unseal(sealed) == "hunter2-token"
    assert mask("it is hunter2-token") == "it is ******"


def test_inputs_are_sealed_once_and_checked_again_when_sealed(encryption_key: str) -> None:
    first = coerce_inputs(FLOW.inputs, {"token": "abcd-1234"})
    assert sealing.is_sealed(first["token"]) and sealing.is_sealed(first["other"])
    # The executor checks the webserver's command again: the sealed value stays as it was.
    assert coerce_inputs(FLOW.inputs, first) == first
    with pytest.raises(InputValidationError, match="at least 4 characters"):
        coerce_inputs(FLOW.inputs, {"token": "abc"})


def test_reveal_gives_clear_inputs_for_rendering_only(encryption_key: str) -> None:
    inputs = coerce_inputs(FLOW.inputs, {"token": "abcd-1234"})
    context = {"inputs": inputs, "outputs": {}}
    revealed = sealing.reveal_inputs(context)
    assert revealed["inputs"] == {"token": "abcd-1234", "other": "dflt-value"}
    assert sealing.is_sealed(context["inputs"]["token"])  # the execution's own copy stays sealed
    plain = {"inputs": {"x": 1}}
    assert sealing.reveal_inputs(plain) is plain


def test_without_a_key_a_secret_input_is_refused_saying_how_to_set_one() -> None:
    sealing.configure(None)
    with pytest.raises(InputValidationError, match="encryption.secret-key"):
        coerce_inputs(FLOW.inputs, {"token": "abcd-1234"})
    # A flow with SECRET defaults still parses (flow validate has no key): nothing is sealed then.
    assert FLOW.inputs[1].defaults == "dflt-value"


def test_another_key_cannot_read_a_value(encryption_key: str) -> None:
    sealed = sealing.seal("abcd-1234")
    sealing.configure(base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(ValueError, match="cannot be decrypted with this encryption.secret-key"):
        sealing.unseal(sealed)


@pytest.mark.parametrize(("key", "reason"), [("abc", "not base64"), (base64.b64encode(b"x" * 16).decode(), "not 16")])
def test_a_bad_key_is_refused(key: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        sealing.cipher_for(key)
