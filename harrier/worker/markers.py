"""Kestra's output markers in script output: `::{"outputs": {...}, "metrics": [...]}::`.

A script sets outputs (exposed as `outputs.<task>.vars.<name>`) and emits metrics by printing
one such line. A line that looks like a marker but is not valid JSON is treated as ordinary
output and reported, so a typo does not silently lose outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["Marker", "MarkerError", "MetricPoint", "parse_marker"]


class MarkerError(ValueError):
    """A marker line whose content is not a valid marker; the message says why."""


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One metric from a marker: a counter increment or a timer duration in seconds."""

    name: str
    kind: str
    value: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Marker:
    """What one marker line carried."""

    outputs: dict[str, Any]
    metrics: tuple[MetricPoint, ...]


def parse_marker(line: str) -> Marker | None:
    """The marker on `line`, None when the line is not a marker; `MarkerError` if malformed."""
    text = line.strip()
    if len(text) < 6 or not (text.startswith("::{") and text.endswith("}::")):
        return None
    try:
        body = orjson.loads(text[2:-2])
    except orjson.JSONDecodeError as exc:
        raise MarkerError(f"output marker is not valid JSON: {exc}") from None
    outputs = body.get("outputs", {})
    if not isinstance(outputs, dict):
        raise MarkerError(f"output marker: 'outputs' must be an object, got {type(outputs).__name__}")
    metrics = body.get("metrics", [])
    if not isinstance(metrics, list):
        raise MarkerError(f"output marker: 'metrics' must be a list, got {type(metrics).__name__}")
    return Marker(outputs=outputs, metrics=tuple(_metric(item) for item in metrics))


def _metric(item: Any) -> MetricPoint:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise MarkerError("output marker: each metric needs a string 'name'")
    kind = item.get("type", "counter")
    if kind not in ("counter", "timer"):
        raise MarkerError(f"output marker: metric {item['name']!r} has type {kind!r}; expected counter or timer")
    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MarkerError(f"output marker: metric {item['name']!r} needs a numeric 'value'")
    tags = item.get("tags") or {}
    if not isinstance(tags, dict):
        raise MarkerError(f"output marker: metric {item['name']!r}: 'tags' must be an object")
    return MetricPoint(item["name"], kind, float(value), {str(k): str(v) for k, v in tags.items()})
