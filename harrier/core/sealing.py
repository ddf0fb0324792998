"""SECRET input values sealed at rest, the way Kestra stores them.

A SECRET input's value is kept in the execution (on the ``executions`` and
``execution-states`` topics, in Elasticsearch, in worker tasks) only as
``{"type": "io.kestra.datatype:aes_encrypted", "value": base64(iv + AES-256-GCM ciphertext)}``,
Kestra's own form and cipher, so a key from Kestra's ``kestra.encryption.secret-key`` reads
Kestra's values and the other way round. It is revealed only where a template is rendered (the
executor's flowable properties, the worker's task properties), and every value revealed is
registered for masking, so the process that saw it writes ``******`` in its log lines.

The key (base64 of 32 bytes, ``encryption.secret-key``) is set once per process with
``configure``; without one, a SECRET input is refused, as Kestra refuses it.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from harrier.core.secrets import mask, register_secret

__all__ = ["SEALED_TYPE", "cipher_for", "configure", "is_sealed", "reveal_inputs", "seal", "seal_if_secret", "unseal"]

SEALED_TYPE = "io.kestra.datatype:aes_encrypted"
_IV_BYTES = 12
_NO_KEY = ("SECRET inputs are stored encrypted and no key is set: set encryption.secret-key "
           "(base64 of 32 random bytes: `openssl rand -base64 32`) on every component")

_cipher: AESGCM | None = None
# Values revealed already, by ciphertext: a render does not decrypt the same value again.
_revealed: dict[str, str] = {}
_REVEALED_KEPT = 10_000


def configure(secret_key: str | None) -> None:
    """Use ``secret_key`` (base64 of 32 bytes) in this process; None: no SECRET inputs."""
    global _cipher
    _revealed.clear()
    _cipher = None if secret_key is None else cipher_for(secret_key)


def cipher_for(secret_key: str) -> AESGCM:
    """The cipher of ``secret_key``; ValueError saying what is wrong with it."""
    try:
        key = base64.b64decode(secret_key, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None
    if len(key) != 32:
        raise ValueError(f"must be 32 bytes once decoded (AES-256), not {len(key)}")
    return AESGCM(key)


def seal(text: str) -> dict[str, str]:
    """``text`` encrypted; ValueError when no key is set."""
    if _cipher is None:
        raise ValueError(_NO_KEY)
    iv = os.urandom(_IV_BYTES)
    value = base64.b64encode(iv + _cipher.encrypt(iv, text.encode(), None)).decode()
    return {"type": SEALED_TYPE, "value": value}


def seal_if_secret(value: Any) -> Any:
    """``value`` sealed when it is a text holding a revealed secret and a key is set, else itself.

    For values rendered in one execution that travel to another: a Subflow's inputs go on
    ``executions`` inside the child's create, where a secret must not be in clear.
    """
    if _cipher is None or not isinstance(value, str) or mask(value) == value:
        return value
    return seal(value)


def is_sealed(value: Any) -> bool:
    """Whether ``value`` is a sealed value (``seal``'s form)."""
    return type(value) is dict and value.get("type") == SEALED_TYPE and isinstance(value.get("value"), str)


def unseal(value: Mapping[str, str]) -> str:
    """The text of a sealed value, registered for masking; ValueError when it cannot be read."""
    ciphertext = value["value"]
    text = _revealed.get(ciphertext)
    if text is not None:
        return text
    if _cipher is None:
        raise ValueError(_NO_KEY)
    try:
        raw = base64.b64decode(ciphertext, validate=True)
        text = _cipher.decrypt(raw[:_IV_BYTES], raw[_IV_BYTES:], None).decode()
    except (binascii.Error, InvalidTag, ValueError, UnicodeDecodeError):
        raise ValueError("a SECRET value cannot be decrypted with this encryption.secret-key") from None
    register_secret(text)
    if len(_revealed) >= _REVEALED_KEPT:
        _revealed.clear()
    _revealed[ciphertext] = text
    return text


def reveal_inputs(context: Mapping[str, Any]) -> Mapping[str, Any]:
    """``context`` with its sealed ``inputs`` in clear, for rendering; itself when none is sealed."""
    inputs = context.get("inputs")
    if not inputs or not any(is_sealed(value) for value in inputs.values()):
        return context
    clear = {name: unseal(value) if is_sealed(value) else value for name, value in inputs.items()}
    return {**context, "inputs": clear}
