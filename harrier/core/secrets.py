"""Secrets: read from the environment the way Kestra OSS does, and masked wherever logged.

`secret('NAME')` reads the environment variable `SECRET_NAME`, whose value is base64-encoded
(Kestra's convention). Every value handed out is registered, so `mask(text)` can replace it
with `******` before a log line or error message leaves the process.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import threading

from harrier.core.exceptions import HarrierExpressionError

__all__ = ["MASK", "mask", "read_secret", "register_secret"]

MASK = "******"
# Very short values would mask ordinary words in every log line.
_MIN_MASKED_LENGTH = 3

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register_secret(value: str) -> None:
    """Remember `value` so that `mask` hides it from now on."""
    global _pattern
    if len(value) < _MIN_MASKED_LENGTH or value in _values:
        return
    with _lock:
        _values.add(value)
        # Longest first so a secret containing another one is masked whole.
        ordered = sorted(_values, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def mask(text: str) -> str:
    """Replace every registered secret value in `text` with `******`."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def read_secret(name: str) -> str:
    """Return the decoded value of secret `name` (env `SECRET_<NAME>`, base64) and register it."""
    if not isinstance(name, str) or not name:
        raise HarrierExpressionError("secret() needs a secret name")
    variable = f"SECRET_{name.upper()}"
    encoded = os.environ.get(variable)
    if encoded is None:
        raise HarrierExpressionError(f"secret {name!r} not found: set the environment variable {variable} (base64-encoded)")
    try:
        value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise HarrierExpressionError(f"secret {name!r}: {variable} is not valid base64-encoded UTF-8") from None
    register_secret(value)
    return value
