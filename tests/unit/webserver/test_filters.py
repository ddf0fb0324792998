"""Kestra's ``filters[field][OPERATION]`` parameters, as kestrapy's query_filter encodes them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from harrier.webserver.exceptions import Unprocessable
from harrier.webserver.filters import read_filters

EXECUTIONS = frozenset({"namespace", "flowId", "state", "labels", "startDate", "endDate"})


def test_each_supported_filter_lands_in_its_field() -> None:
    found = read_filters([
        ("page", "1"),
        ("filters[namespace][EQUALS]", "company"),
        ("filters[flowId][EQUALS]", "hello"),
        ("filters[state][IN]", "success,failed"),
        ("filters[labels][EQUALS][team]", "data"),
        ("filters[labels][EQUALS]", "env:prod"),
        ("filters[startDate][GREATER_THAN_OR_EQUAL_TO]", "2026-12-03T10:00:00Z"),
    ], EXECUTIONS)
    assert (found.namespace, found.flow_id, found.states) == ("company", "hello", ["SUCCESS", "FAILED"])
    assert found.labels == {"team": "data", "env": "prod"}
    assert found.start == datetime(2026, 12, 3, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("filters[kind][EQUALS]", "TEST", "filter filters[kind][EQUALS]: Harrier does not support kind EQUALS in this search"),
    ("filters[namespace][REGEX]", "a.*", "filter filters[namespace][REGEX]: Harrier does not support namespace REGEX in this search"),
    ("filters[or][0][namespace][EQUALS]", "a", "filter filters[or][0][namespace][EQUALS]: expected filters[field][OPERATION]=value (filter groups are not supported)"),
    ("filters[startDate][GREATER_THAN]", "yesterday", "filter filters[startDate][GREATER_THAN]: 'yesterday' is not an ISO-8601 datetime"),
    ("filters[labels][EQUALS]", "nocolon", "filter filters[labels][EQUALS]: a label is key:value or filters[labels][EQUALS][key]=value"),
])
def test_what_harrier_cannot_answer_is_a_422_naming_the_filter(name: str, value: str, message: str) -> None:
    with pytest.raises(Unprocessable) as raised:
        read_filters([(name, value)], EXECUTIONS)
    assert raised.value.message == message
