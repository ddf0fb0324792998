"""The KV store's domain: typed values per namespace, each with an optional expiry.

Kestra's KV store, as its `kv.Set`, `kv.Get`, `kv.Delete`, `kv.GetKeys` tasks, its `kv()`
function and its API see it:

- a key is unique within a namespace and matches `[a-zA-Z0-9][a-zA-Z0-9._-]*`;
- a value has a type (`KVType`): declared by `kvType`, or taken from the value itself;
  DATETIME, DATE and DURATION values are kept as their ISO-8601 text;
- an expired entry reads as missing everywhere (it is not deleted by being read: see
  docs/architecture.md, "KV store");
- `kv()` and the API's inheritance list look a key up in the namespace, then in each parent
  (`company.team` → `company`); the tasks read only the namespace they name.

`KVStore` is what the tasks, `kv()` and the API use; `harrier.kv` implements it on the
compacted `kv` topic. Keys starting with `_` cannot be written by users; the deprecated
`state.*` tasks keep their documents under them (`STATE_PREFIX`), hidden from key lists.
"""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, Protocol

import orjson

from harrier.core.durations import format_duration, parse_duration
from harrier.core.exceptions import HarrierError
from harrier.core.messages import Message

__all__ = [
    "STATE_PREFIX",
    "KVEntry",
    "KVError",
    "KVStore",
    "KVType",
    "KVUnavailable",
    "check_key",
    "configure_store",
    "configured_store",
    "lookup",
    "new_entry",
    "parent_namespaces",
    "typed_value",
    "visible_entries",
]

STATE_PREFIX = "_state."

_KEY = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*")


class KVError(HarrierError):
    """A KV operation was refused: a bad key or value, a missing key, an existing one."""


class KVUnavailable(KVError):
    """The store could not be read or written (the broker did not answer, no `kv` topic)."""


class KVType(enum.StrEnum):
    """The type of a value, as Kestra names them."""

    STRING = "STRING"
    NUMBER = "NUMBER"
    BOOLEAN = "BOOLEAN"
    DATETIME = "DATETIME"
    DATE = "DATE"
    DURATION = "DURATION"
    JSON = "JSON"


class KVEntry(Message):
    """One key of one namespace: the record on the `kv` topic, keyed `namespace/key`."""

    namespace: str
    key: str
    type: KVType
    value: Any
    description: str | None = None
    created: datetime
    updated: datetime
    expires: datetime | None = None

    @property
    def uid(self) -> str:
        """`namespace/key`, the record's key (a key holds no `/`)."""
        return f"{self.namespace}/{self.key}"

    def expired(self, now: datetime) -> bool:
        """True once the entry's TTL has run out."""
        return self.expires is not None and now >= self.expires


class KVStore(Protocol):
    """Entries by namespace and key. Reads see every write acknowledged before they began."""

    def get(self, namespace: str, key: str) -> KVEntry | None:
        """The entry, expired or not, or None."""

    def entries(self, namespace: str) -> list[KVEntry]:
        """Every entry of the namespace, expired or not, in key order."""

    def put(self, entry: KVEntry) -> None:
        """Write the entry; durable when this returns."""

    def delete(self, namespace: str, key: str) -> None:
        """Remove the key; durable when this returns."""


def check_key(key: Any) -> str:
    """`key` if it is a valid KV key; KVError with Kestra's rule otherwise."""
    if not isinstance(key, str) or not key:
        raise KVError("Key cannot be null or empty")
    if not _KEY.fullmatch(key):
        raise KVError(
            f"invalid key {key!r}: a key must start with a letter or a digit and hold only letters, "
            "digits, dots (.), underscores (_) and hyphens (-)"
        )
    return key


def typed_value(value: Any, kv_type: KVType | None = None) -> tuple[KVType, Any]:
    """The type and stored form of a value written with `kvType` (None: from the value).

    As Kestra's `kv.Set`: a string is parsed as the declared type (NUMBER and JSON as JSON,
    BOOLEAN true when it reads `true`, DATETIME and DATE as ISO-8601, DURATION as an ISO-8601
    duration); a value of another kind keeps its own type.
    """
    if kv_type is None or not isinstance(value, str):
        found = _type_of(value)
        if kv_type is KVType.STRING and found is not KVType.STRING:
            return KVType.STRING, orjson.dumps(value, default=_iso).decode()
        if kv_type is not None and kv_type is not KVType.JSON and found is not kv_type:
            raise KVError(f"value {_show(value)} is not a {kv_type.value}")
        return (kv_type or found), _stored(value)
    text = value.strip()
    try:
        match kv_type:
            case KVType.STRING:
                return kv_type, value
            case KVType.NUMBER:
                number = orjson.loads(text)
                if isinstance(number, bool) or not isinstance(number, (int, float)):
                    raise ValueError
                return kv_type, number
            case KVType.BOOLEAN:
                # Java's Boolean.parseBoolean: anything but "true" is false.
                return kv_type, text.lower() == "true"
            case KVType.DATETIME:
                return kv_type, _iso(_aware(datetime.fromisoformat(text)))
            case KVType.DATE:
                return kv_type, (date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text).date()).isoformat()
            case KVType.DURATION:
                return kv_type, format_duration(parse_duration(text))
            case KVType.JSON:
                return kv_type, orjson.loads(text)
    except ValueError:
        raise KVError(f"value {_show(value)} is not a {kv_type.value}") from None
    raise KVError(f"unknown kvType {kv_type!r}")


def new_entry(
    namespace: str,
    key: str,
    value: Any,
    *,
    kv_type: KVType | None = None,
    ttl: timedelta | None = None,
    description: str | None = None,
    previous: KVEntry | None = None,
    now: datetime,
) -> KVEntry:
    """The entry a write makes; `previous` (the live entry it replaces) keeps its creation date."""
    stored_type, stored = typed_value(value, kv_type)
    if ttl is not None and ttl <= timedelta(0):
        raise KVError(f"ttl must be positive, got {format_duration(ttl)}")
    created = previous.created if previous is not None and not previous.expired(now) else now
    return KVEntry(
        namespace=namespace, key=key, type=stored_type, value=stored, description=description,
        created=created, updated=now, expires=None if ttl is None else now + ttl,
    )


def parent_namespaces(namespace: str) -> list[str]:
    """The namespace, then each parent up to the root: `a.b.c` → `a.b.c`, `a.b`, `a`."""
    parts = namespace.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def lookup(store: KVStore, namespace: str, key: str, now: datetime, *, inherit: bool = False) -> tuple[KVEntry | None, str | None]:
    """The live entry of `key` (in `namespace`, or its nearest parent holding it when
    `inherit`), and why there is none: None, or "expired" when the nearest entry expired."""
    why: str | None = None
    for where in parent_namespaces(namespace) if inherit else [namespace]:
        entry = store.get(where, key)
        if entry is None:
            continue
        if not entry.expired(now):
            return entry, None
        why = why or "expired"
    return None, why


def visible_entries(entries: Sequence[KVEntry], now: datetime, prefix: str | None = None) -> list[KVEntry]:
    """The live user entries (no state documents), optionally those whose key starts with `prefix`."""
    return [
        e for e in entries
        if not e.expired(now) and not e.key.startswith("_") and (prefix is None or e.key.startswith(prefix))
    ]


_store: KVStore | None = None
_store_lock = threading.Lock()


def configure_store(store: KVStore | None) -> None:
    """Set the store `kv()` reads in this process (each component sets its own at start)."""
    global _store
    with _store_lock:
        _store = store


def configured_store() -> KVStore:
    """The store `kv()` reads; KVError when this process has none (outside the executor,
    the worker and the webserver, e.g. while validating a flow)."""
    store = _store
    if store is None:
        raise KVError("the KV store is not available here")
    return store


def _type_of(value: Any) -> KVType:
    # Kestra's KVType.from, on the values a rendered property can hold.
    if isinstance(value, str):
        return KVType.STRING
    if isinstance(value, bool):
        return KVType.BOOLEAN
    if isinstance(value, (int, float)):
        return KVType.NUMBER
    if isinstance(value, datetime):
        return KVType.DATETIME
    if isinstance(value, date):
        return KVType.DATE
    if isinstance(value, timedelta):
        return KVType.DURATION
    return KVType.JSON


def _stored(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(_aware(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, (dict, list)):
        # Round-trips through JSON so nothing but data is stored (dates inside become text).
        return orjson.loads(orjson.dumps(value, default=_iso))
    return value


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return _aware(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not data")


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
    return repr(text if len(text) <= 80 else text[:77] + "...")
