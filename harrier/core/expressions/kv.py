"""Kestra's `kv(key, namespace=None, errorOnMissing=true)` expression function.

Without `namespace` the key is looked up in the flow's namespace, then in each parent
(`company.team`, then `company`), as Kestra does; with one, only there. A missing or expired
key is an error unless `errorOnMissing=false`, which gives null. The store is the process's
(`harrier.core.kv.configure_store`: the executor, the worker and the webserver set theirs).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.kv import KVError, check_key, configured_store, lookup

__all__ = ["KV_FUNCTIONS"]


@pass_context
def kv_function(context: Context, key: Any = None, namespace: Any = None, errorOnMissing: Any = True) -> Any:  # noqa: N803
    """The value of `key` (see the module docstring)."""
    flow = context.get("flow")
    own = flow.get("namespace") if isinstance(flow, Mapping) else None
    if key is None:
        raise HarrierExpressionError("The 'kv' function expects an argument 'key'.")
    where = namespace if namespace is not None else own
    if not isinstance(where, str) or not where:
        raise HarrierExpressionError("kv(): no namespace: pass namespace= outside a flow")
    try:
        entry, why = lookup(configured_store(), where, check_key(key), datetime.now(timezone.utc), inherit=namespace is None)
    except KVError as exc:
        raise HarrierExpressionError(f"kv(): {exc}") from None
    if entry is None:
        if errorOnMissing is False or (isinstance(errorOnMissing, str) and errorOnMissing.lower() == "false"):
            return None
        state = "has expired" if why else "does not exist"
        raise HarrierExpressionError(f"The key '{key}' {state} in the namespace '{where}'.")
    return entry.value


KV_FUNCTIONS: dict[str, Any] = {"kv": kv_function}
