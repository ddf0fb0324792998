"""`harrier kv set`'s encoding of a typed value into the body the API reads back as that type."""

from __future__ import annotations

import pytest

from harrier.cli.exceptions import CliError, ExitCode
from harrier.cli.kv import TYPES, encode_value
from harrier.core.kv import KVType


def test_the_type_choices_are_the_kv_types() -> None:
    assert TYPES == tuple(t.value for t in KVType)


@pytest.mark.parametrize(
    ("text", "type_name", "body"),
    [
        ("hello", None, b'"hello"'),
        ("42", None, b"42"),
        ('{"a":1}', None, b'{"a":1}'),
        ("42", "STRING", b'"42"'),
        ("1.5", "NUMBER", b"1.5"),
        ("TRUE", "BOOLEAN", b"true"),
        ("2026-01-02T03:04:05+01:00", "DATETIME", b"2026-01-02T02:04:05Z"),
        ("2026-01-02", "DATE", b"2026-01-02"),
        ("PT90M", "DURATION", b'"PT1H30M"'),
        ('[1, 2]', "JSON", b"[1,2]"),
    ],
)
def test_values_are_encoded_for_their_type(text: str, type_name: str | None, body: bytes) -> None:
    assert encode_value(text, type_name) == body


def test_a_value_that_is_not_its_type_is_a_usage_error() -> None:
    with pytest.raises(CliError) as refused:
        encode_value("abc", "NUMBER")
    assert refused.value.code is ExitCode.USAGE and refused.value.message == "value: value 'abc' is not a NUMBER"
