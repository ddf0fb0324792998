"""Kestra 1.x's search filters, ``filters[field][OPERATION]=value`` (``filters[labels][EQUALS][key]=value``
for a label), read into the values Harrier's history queries take.

Only what Harrier's queries can answer is accepted; any other field or operation is a 422
naming it, never silently ignored. Groups (``filters[or][0]...``) are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from harrier.webserver.exceptions import Unprocessable

__all__ = ["SearchFilters", "read_filters"]

_FILTER = re.compile(r"^filters\[(?P<field>[A-Za-z_]+)\]\[(?P<op>[A-Z_]+)\](?:\[(?P<key>[^\]]+)\])?$")
# field -> the operations Harrier answers for it.
_SUPPORTED: dict[str, frozenset[str]] = {
    "namespace": frozenset({"EQUALS", "STARTS_WITH", "PREFIX"}),
    "flowId": frozenset({"EQUALS"}),
    "state": frozenset({"EQUALS", "IN"}),
    "labels": frozenset({"EQUALS"}),
    "startDate": frozenset({"GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO"}),
    "endDate": frozenset({"LESS_THAN", "LESS_THAN_OR_EQUAL_TO"}),
    "q": frozenset({"EQUALS"}),
    "executionId": frozenset({"EQUALS"}),
    "taskId": frozenset({"EQUALS"}),
    "taskRunId": frozenset({"EQUALS"}),
    "level": frozenset({"EQUALS", "GREATER_THAN_OR_EQUAL_TO"}),
}


@dataclass(slots=True)
class SearchFilters:
    """The filters of one search request; None or empty where none was given.

    ``namespace`` includes its children whatever the operation (Harrier's namespace filter).
    """

    namespace: str | None = None
    flow_id: str | None = None
    states: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    start: datetime | None = None
    end: datetime | None = None
    text: str | None = None
    execution_id: str | None = None
    task_id: str | None = None
    task_run_id: str | None = None
    min_level: str | None = None


def read_filters(params: Iterable[tuple[str, str]], allowed: frozenset[str]) -> SearchFilters:
    """The ``filters[...]`` among query ``params``; ``allowed`` names the fields this search takes."""
    found = SearchFilters()
    for name, value in params:
        if not name.startswith("filters["):
            continue
        match = _FILTER.match(name)
        if match is None:
            raise Unprocessable(f"filter {name}: expected filters[field][OPERATION]=value (filter groups are not supported)")
        field_name, op, key = match["field"], match["op"], match["key"]
        if field_name not in allowed or op not in _SUPPORTED.get(field_name, frozenset()):
            raise Unprocessable(f"filter {name}: Harrier does not support {field_name} {op} in this search")
        _apply(found, name, field_name, op, key, value)
    return found


def _apply(found: SearchFilters, name: str, field_name: str, op: str, key: str | None, value: str) -> None:
    if field_name == "labels":
        if key is not None:
            found.labels[key] = value
        else:
            label_key, sep, label_value = value.partition(":")
            if not sep:
                raise Unprocessable(f"filter {name}: a label is key:value or filters[labels][EQUALS][key]=value")
            found.labels[label_key] = label_value
    elif field_name == "state":
        found.states.extend(s.strip().upper() for s in value.split(",") if s.strip())
    elif field_name in ("startDate", "endDate"):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise Unprocessable(f"filter {name}: {value!r} is not an ISO-8601 datetime") from None
        if field_name == "startDate":
            found.start = moment
        else:
            found.end = moment
    elif field_name == "level":
        found.min_level = value.upper()
    else:
        attribute = {"namespace": "namespace", "flowId": "flow_id", "q": "text", "executionId": "execution_id",
                     "taskId": "task_id", "taskRunId": "task_run_id"}[field_name]
        setattr(found, attribute, value)
