"""Kestra's `::{...}::` output markers."""

from __future__ import annotations

import pytest

from harrier.worker.markers import MarkerError, MetricPoint, parse_marker


def test_outputs_and_metrics_are_read() -> None:
    marker = parse_marker('  ::{"outputs":{"test":"value","int":2},"metrics":[{"name":"rows","type":"counter","value":5,"tags":{"t":1}}]}::\n')
    assert marker is not None
    assert marker.outputs == {"test": "value", "int": 2}
    assert marker.metrics == (MetricPoint("rows", "counter", 5.0, {"t": "1"}),)


@pytest.mark.parametrize("line", ["hello", "::not json", "{\"outputs\": {}}", "::{}", ""])
def test_ordinary_lines_are_not_markers(line: str) -> None:
    assert parse_marker(line) is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("::{oops}::", "not valid JSON"),
        ('::{"outputs": [1]}::', "'outputs' must be an object"),
        ('::{"metrics": [{"name": "n", "type": "gauge", "value": 1}]}::', "type 'gauge'"),
        ('::{"metrics": [{"name": "n", "value": "x"}]}::', "numeric 'value'"),
        ('::{"metrics": [{"value": 1}]}::', "string 'name'"),
    ],
)
def test_malformed_markers_say_why(line: str, reason: str) -> None:
    with pytest.raises(MarkerError, match=reason):
        parse_marker(line)
