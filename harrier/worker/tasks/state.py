"""state.Set, state.Get and state.Delete: JSON documents kept in the KV store."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

import orjson

from harrier.core.kv import STATE_PREFIX, KVType, new_entry
from harrier.core.tasks.state import StateDelete, StateGet, StateSet
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure
from harrier.worker.tasks.kv import failing_on_kv_errors, store_of

__all__ = ["run_state_delete", "run_state_get", "run_state_set"]

_DEPRECATED = "{type} is deprecated (as in Kestra): use the kv tasks"


def run_state_set(task: StateSet, context: RunContext) -> dict[str, Any]:
    """Merge `data` into the document (nested mappings merged key by key)."""
    context.logger.warn(_DEPRECATED.format(type=task.type))
    key = _key(task.name, task.namespace, task.taskrun_value, context)
    namespace, store = context.record.namespace, store_of(context)
    now = datetime.now(timezone.utc)
    data = task.data or {}
    if not isinstance(data, dict):
        raise TaskFailure(f"property data: expected a mapping, got {data!r}")
    with failing_on_kv_errors():
        previous = store.get(namespace, key)
        merged = _merge(previous.value if previous is not None else {}, data)
        store.put(new_entry(namespace, key, merged, kv_type=KVType.JSON, previous=previous, now=now))
    return {"count": len(merged), "key": key}


def run_state_get(task: StateGet, context: RunContext) -> dict[str, Any]:
    """Outputs `data` and `count`; a missing document is empty unless `errorOnMissing`."""
    context.logger.warn(_DEPRECATED.format(type=task.type))
    key = _key(task.name, task.namespace, task.taskrun_value, context)
    with failing_on_kv_errors():
        entry = store_of(context).get(context.record.namespace, key)
    if entry is None and task.error_on_missing:
        raise TaskFailure(f"Unable to find the state file '{task.name}'")
    data = entry.value if entry is not None else {}
    return {"count": len(data), "data": data}


def run_state_delete(task: StateDelete, context: RunContext) -> dict[str, Any]:
    """Delete the document; outputs `deleted`."""
    context.logger.warn(_DEPRECATED.format(type=task.type))
    key = _key(task.name, task.namespace, task.taskrun_value, context)
    namespace, store = context.record.namespace, store_of(context)
    with failing_on_kv_errors():
        existed = store.get(namespace, key) is not None
        if existed:
            store.delete(namespace, key)
    if not existed and task.error_on_missing:
        raise TaskFailure(f"Unable to find the state file '{task.name}'")
    return {"deleted": existed}


def _key(name: str, shared: bool | str, per_value: bool | str, context: RunContext) -> str:
    # Flow (unless shared by the namespace), name and ForEach value, as Kestra isolates them.
    record = context.record
    scope = [None if shared is True else record.flow_id, name, record.value if per_value is True else None]
    return STATE_PREFIX + hashlib.sha256(orjson.dumps(scope, default=str)).hexdigest()[:32]


def _merge(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in update.items():
        old = merged.get(key)
        merged[key] = _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged
