"""kv.Set, kv.Get, kv.Delete and kv.GetKeys against the run context's KV store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from harrier.core.kv import KVError, KVStore, KVType, check_key, lookup, new_entry, visible_entries
from harrier.core.tasks.kv import KVDelete, KVGet, KVGetKeys, KVSet
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure

__all__ = ["failing_on_kv_errors", "run_kv_delete", "run_kv_get", "run_kv_get_keys", "run_kv_set", "store_of"]


@contextmanager
def failing_on_kv_errors() -> Iterator[None]:
    """A refused KV operation fails the task run with its message (no traceback)."""
    try:
        yield
    except KVError as exc:
        raise TaskFailure(str(exc)) from None


def store_of(context: RunContext) -> KVStore:
    """The run's KV store; a worker started without one cannot run KV tasks."""
    if context.kv is None:
        raise TaskFailure("this worker has no KV store")
    return context.kv


def run_kv_set(task: KVSet, context: RunContext) -> None:
    """Write the value; with `overwrite: false`, fail if the key holds a live value."""
    namespace = task.namespace or context.record.namespace
    store = store_of(context)
    now = datetime.now(timezone.utc)
    with failing_on_kv_errors():
        key = check_key(task.key)
        kv_type = None if task.kv_type is None else _kv_type(task.kv_type)
        previous, _ = lookup(store, namespace, key, now)
        if previous is not None and not task.overwrite:
            raise KVError(f"Cannot set value for key '{key}'. Key already exists and `overwrite` is set to `false`.")
        ttl = task.ttl if isinstance(task.ttl, timedelta) or task.ttl is None else None
        entry = new_entry(
            namespace, key, task.value, kv_type=kv_type, ttl=ttl, description=task.kv_description,
            previous=previous, now=now,
        )
        store.put(entry)
    context.logger.debug(f"set {entry.type.value} key {key} in namespace {namespace}")


def run_kv_get(task: KVGet, context: RunContext) -> dict[str, Any]:
    """Outputs `value`: the key's value, or null when it is missing or expired."""
    namespace = task.namespace or context.record.namespace
    with failing_on_kv_errors():
        key = check_key(task.key)
        entry, why = lookup(store_of(context), namespace, key, datetime.now(timezone.utc))
    if entry is None and task.error_on_missing:
        reason = " (it expired)" if why else ""
        raise TaskFailure(f"No value found for key '{key}' in namespace '{namespace}'{reason} and `errorOnMissing` is set to true")
    return {"value": None if entry is None else entry.value}


def run_kv_delete(task: KVDelete, context: RunContext) -> dict[str, Any]:
    """Delete the key; outputs `deleted`, whether it held a value."""
    namespace = task.namespace or context.record.namespace
    store = store_of(context)
    with failing_on_kv_errors():
        key = check_key(task.key)
        existed = store.get(namespace, key) is not None
        if existed:
            store.delete(namespace, key)
    if not existed and task.error_on_missing:
        raise TaskFailure(f"No value found for key '{key}' in namespace '{namespace}' and `errorOnMissing` is set to true")
    return {"deleted": existed}


def run_kv_get_keys(task: KVGetKeys, context: RunContext) -> dict[str, Any]:
    """Outputs `keys`: the namespace's live keys (starting with `prefix`), in key order."""
    namespace = task.namespace or context.record.namespace
    with failing_on_kv_errors():
        entries = store_of(context).entries(namespace)
    return {"keys": [e.key for e in visible_entries(entries, datetime.now(timezone.utc), task.prefix)]}


def _kv_type(value: KVType | str) -> KVType:
    try:
        return KVType(value)
    except ValueError:
        raise KVError(f"kvType {value!r} is not one of {', '.join(KVType)}") from None
