"""The KV store's tasks: kv.Set, kv.Get, kv.Delete and kv.GetKeys (Kestra's core.kv).

Each names a namespace (the flow's own when unset) and runs in a worker against the store
(`harrier.core.kv`). Outputs as Kestra's: Get `value`, Delete `deleted`, GetKeys `keys`;
Set has none.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

from harrier.core.durations import is_template
from harrier.core.kv import KVType
from harrier.core.properties import DynBool, DynDuration, DynStr, describe
from harrier.core.tasks.base import Task

__all__ = ["KVDelete", "KVGet", "KVGetKeys", "KVSet"]


def _kv_type(value: Any) -> KVType | str:
    if is_template(value) or isinstance(value, KVType):
        return value  # type: ignore[no-any-return]
    try:
        return KVType(value)
    except ValueError:
        raise PydanticCustomError(
            "harrier_type", "expected one of {names}, got {got}",
            {"names": ", ".join(KVType), "got": describe(value) if not isinstance(value, str) else repr(value)},
        ) from None


DynKVType = Annotated[KVType | str, PlainValidator(_kv_type)]


def _prefix(name: str) -> tuple[str, ...]:
    return (f"io.kestra.plugin.core.kv.{name}",)


class KVSet(Task):
    """Store `value` under `key` in `namespace`, typed by `kvType`, expiring after `ttl`."""

    type_name: ClassVar[str] = "kv.Set"
    type_aliases: ClassVar[tuple[str, ...]] = _prefix("Set")

    key: DynStr
    value: Any
    namespace: DynStr | None = None
    overwrite: DynBool = True
    ttl: DynDuration | None = None
    kv_type: DynKVType | None = None
    kv_description: DynStr | None = None


class KVGet(Task):
    """Output the value of `key` in `namespace` as `value` (null, or a failure with
    `errorOnMissing`, when there is none)."""

    type_name: ClassVar[str] = "kv.Get"
    type_aliases: ClassVar[tuple[str, ...]] = _prefix("Get")

    key: DynStr
    namespace: DynStr | None = None
    error_on_missing: DynBool = False


class KVDelete(Task):
    """Delete `key` from `namespace`; `deleted` says whether there was a value."""

    type_name: ClassVar[str] = "kv.Delete"
    type_aliases: ClassVar[tuple[str, ...]] = _prefix("Delete")

    key: DynStr
    namespace: DynStr | None = None
    error_on_missing: DynBool = False


class KVGetKeys(Task):
    """Output the keys of `namespace` (those starting with `prefix` when given) as `keys`."""

    type_name: ClassVar[str] = "kv.GetKeys"
    type_aliases: ClassVar[tuple[str, ...]] = _prefix("GetKeys")

    prefix: DynStr | None = None
    namespace: DynStr | None = None
