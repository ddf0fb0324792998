"""Kestra's `pluginDefaults`: property values applied to every task or trigger of a type.

An entry's `type` matches a task whose type (as written, its short name or any alias) equals
it or lies under it (`io.kestra.plugin.scripts` matches every script task). Its `values` fill
properties the task leaves out (mappings are merged key by key); with `forced: true` they
replace what the task says.
"""

from __future__ import annotations

import copy
from typing import Any

from harrier.core.models import Model
from harrier.core.tasks.base import Plugin

__all__ = ["PluginDefault", "apply_defaults", "defaults_in", "defaults_key"]


class PluginDefault(Model):
    """One `pluginDefaults` entry."""

    type: str
    values: dict[str, Any]
    forced: bool = False


def defaults_key(flow_data: Any) -> str:
    """Where a raw flow keeps its defaults: `pluginDefaults`, or `taskDefaults`, the older
    name, when only that one is there."""
    if isinstance(flow_data, dict) and "pluginDefaults" not in flow_data and "taskDefaults" in flow_data:
        return "taskDefaults"
    return "pluginDefaults"


def defaults_in(flow_data: Any) -> list[tuple[int, PluginDefault]]:
    """The well-formed defaults entries of a raw flow (see `defaults_key`) with their index
    (the Flow model reports the malformed ones)."""
    entries = flow_data.get(defaults_key(flow_data)) if isinstance(flow_data, dict) else None
    result: list[tuple[int, PluginDefault]] = []
    for i, entry in enumerate(entries if isinstance(entries, list) else ()):
        if isinstance(entry, dict) and isinstance(entry.get("type"), str) and isinstance(entry.get("values"), dict):
            result.append((i, PluginDefault(type=entry["type"], values=entry["values"], forced=entry.get("forced") is True)))
    return result


def _matches(prefix: str, names: set[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for name in names)


def _merge(target: dict[str, Any], values: dict[str, Any], forced: bool) -> list[str]:
    """Merge `values` into `target`; return the top-level keys whose value now comes from them."""
    changed: list[str] = []
    for key, value in values.items():
        if key in ("id", "type"):
            continue
        if key not in target or forced and not (isinstance(target[key], dict) and isinstance(value, dict)):
            target[key] = copy.deepcopy(value)
            changed.append(key)
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _merge(target[key], value, forced)
    return changed


def apply_defaults(
    data: dict[str, Any], cls: type[Plugin], defaults: list[tuple[int, PluginDefault]]
) -> tuple[dict[str, Any], dict[str, int]]:
    """`data` with the matching defaults applied (a copy; `data` is left alone), and for each
    property a default set, the index of its `pluginDefaults` entry."""
    if not defaults:
        return data, {}
    names = {cls.type_name, *cls.type_aliases, str(data.get("type"))}
    matching = [(i, d) for i, d in defaults if _matches(d.type, names)]
    if not matching:
        return data, {}
    result = copy.deepcopy(data)
    origins: dict[str, int] = {}
    for index, default in matching:
        for key in _merge(result, default.values, default.forced):
            origins[key] = index
    return result, origins
