"""Input declarations and the coercion of supplied values."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from harrier.core import InputValidationError, coerce_inputs, parse_flow
from harrier.core.sealing import is_sealed, unseal
from harrier.core.secrets import mask

FLOW = parse_flow(
    """
id: inputs
namespace: company.team
inputs:
  - {id: name, type: STRING, validator: "^[A-Z][a-z]+$", defaults: Alice}
  - {id: age, type: INT, min: 18, max: 120}
  - {id: ratio, type: FLOAT, min: 0, max: 1, required: false}
  - {id: enabled, type: BOOL, defaults: false}
  - {id: at, type: DATETIME, after: "2020-01-01T00:00:00Z", required: false}
  - {id: day, type: DATE, required: false}
  - {id: hour, type: TIME, required: false}
  - {id: wait, type: DURATION, max: PT1H, required: false}
  - {id: payload, type: JSON, required: false}
  - {id: source, type: URI, required: false}
  - {id: env, type: SELECT, values: [dev, prod], required: false}
  - {id: regions, type: MULTISELECT, values: [eu, us], required: false}
  - {id: ports, type: ARRAY, itemType: INT, required: false}
  - {id: token, type: SECRET, required: false}
tasks:
  - {id: t, type: Log, message: m}
"""
)


def test_strings_from_a_form_are_coerced(encryption_key: str) -> None:
    values = coerce_inputs(
        FLOW.inputs,
        {
            "age": "42",
            "ratio": "0.5",
            "enabled": "TRUE",
            "at": "2024-01-02T03:04:05Z",
            "day": "2024-01-31",
            "hour": "13:45:00",
            "wait": "PT30M",
            "payload": '{"a": [1]}',
            "source": "https://example.com/x.csv",
            "env": "prod",
            "regions": '["eu", "us"]',
            "ports": '["80", 443]',
            "token": "super-secret-token",
            "undeclared": "dropped",
        },
    )
    assert values == {
        "name": "Alice",
        "age": 42,
        "ratio": 0.5,
        "enabled": True,
        "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        "day": date(2024, 1, 31),
        "hour": time(13, 45),
        "wait": timedelta(minutes=30),
        "payload": {"a": [1]},
        "source": "https://example.com/x.csv",
        "env": "prod",
        "regions": ["eu", "us"],
        "ports": [80, 443],
        "token": values["token"],
    }
    # A SECRET is kept sealed (harrier.core.sealing), revealed only to render, and masked.
    assert is_sealed(values["token"]) and "super-secret-token" not in str(values["token"])
    assert unseal(values["token"]) == "super-secret-token"
    assert mask("value super-secret-token here") == "value ****** here"


def test_optional_inputs_may_be_missing_and_defaults_apply():
    values = coerce_inputs(FLOW.inputs, {"age": 20})
    assert values["name"] == "Alice" and values["enabled"] is False and values["ratio"] is None


def test_every_bad_value_names_the_input_and_the_rule():
    with pytest.raises(InputValidationError) as info:
        coerce_inputs(
            FLOW.inputs,
            {
                "name": "bob",
                "ratio": "1.5",
                "enabled": "maybe",
                "at": "2019-06-01T00:00:00Z",
                "wait": "PT2H",
                "source": "not a uri",
                "env": "staging",
                "regions": ["eu", "mars"],
                "ports": ["80", "http"],
                "payload": "{oops",
            },
        )
    assert info.value.messages == [
        "input 'name': must match the pattern '^[A-Z][a-z]+$'",
        "input 'age': a value is required",
        "input 'ratio': must be <= 1 (max); got 1.5",
        "input 'enabled': expected true or false, got 'maybe'",
        "input 'at': must be after 2020-01-01T00:00:00Z (after); got 2019-06-01T00:00:00Z",
        "input 'wait': must be <= PT1H (max); got PT2H",
        "input 'payload': invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        "input 'source': expected a URI with a scheme, like https://example.com, got 'not a uri'",
        "input 'env': must be one of dev, prod; got 'staging'",
        "input 'regions': every value must be one of eu, us; got 'mars'",
        "input 'ports': item 1: expected an integer, got 'http'",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [("17", "must be >= 18 (min); got 17"), ("abc", "expected an integer, got 'abc'"), ("1.5", "expected an integer, got '1.5'"), (True, "expected an integer, got True")],
)
def test_int_rules(value, message):
    with pytest.raises(InputValidationError) as info:
        coerce_inputs(FLOW.inputs, {"age": value})
    assert info.value.messages == [f"input 'age': {message}"]
