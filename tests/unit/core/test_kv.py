"""The KV store's domain: key rule, typed values, expiry, inheritance and the kv() function."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions import render_value
from harrier.core.kv import KVError, KVType, check_key, configure_store, lookup, new_entry, typed_value, visible_entries
from harrier.kv.memory import MemoryKVStore
from harrier.kv.table import KVTable
from harrier.topics.records import KV_ENTRY
from harrier.topics.serdes import encode_key

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "kv_type", "expected"),
    [
        ("hello", None, (KVType.STRING, "hello")),
        (42, None, (KVType.NUMBER, 42)),
        (True, None, (KVType.BOOLEAN, True)),
        ({"a": [1]}, None, (KVType.JSON, {"a": [1]})),
        ("42", KVType.NUMBER, (KVType.NUMBER, 42)),
        ("1.5", KVType.NUMBER, (KVType.NUMBER, 1.5)),
        ("TRUE", KVType.BOOLEAN, (KVType.BOOLEAN, True)),
        ("no", KVType.BOOLEAN, (KVType.BOOLEAN, False)),
        ("2026-01-02T03:04:05+02:00", KVType.DATETIME, (KVType.DATETIME, "2026-01-02T01:04:05Z")),
        ("2026-01-02", KVType.DATE, (KVType.DATE, "2026-01-02")),
        ("PT90M", KVType.DURATION, (KVType.DURATION, "PT1H30M")),
        ('{"a": 1}', KVType.JSON, (KVType.JSON, {"a": 1})),
        (7, KVType.STRING, (KVType.STRING, "7")),
        (datetime(2026, 1, 1, tzinfo=timezone.utc), None, (KVType.DATETIME, "2026-01-01T00:00:00Z")),
    ],
)
def test_values_are_stored_with_their_type(value: Any, kv_type: KVType | None, expected: tuple[KVType, Any]) -> None:
    assert typed_value(value, kv_type) == expected


@pytest.mark.parametrize(("value", "kv_type"), [("abc", KVType.NUMBER), ("true", KVType.NUMBER), ("soon", KVType.DATETIME), ("1h", KVType.DURATION), ("{", KVType.JSON), (3, KVType.BOOLEAN)])
def test_a_value_that_is_not_its_type_is_refused(value: Any, kv_type: KVType) -> None:
    with pytest.raises(KVError, match=f"is not a {kv_type.value}"):
        typed_value(value, kv_type)


@pytest.mark.parametrize("key", ["", "_hidden", "a/b", "with space", None])
def test_keys_follow_kestras_rule(key: Any) -> None:
    with pytest.raises(KVError):
        check_key(key)
    assert check_key("my.key_1-x") == "my.key_1-x"


def test_an_overwrite_keeps_the_creation_date_and_a_ttl_sets_the_expiry() -> None:
    first = new_entry("ns", "k", "a", now=NOW)
    later = NOW + timedelta(minutes=5)
    second = new_entry("ns", "k", "b", ttl=timedelta(minutes=1), previous=first, now=later)
    assert (second.created, second.updated, second.expires) == (NOW, later, later + timedelta(minutes=1))
    assert not second.expired(later) and second.expired(later + timedelta(minutes=1))
    with pytest.raises(KVError, match="ttl must be positive"):
        new_entry("ns", "k", "a", ttl=timedelta(0), now=NOW)


def test_lookup_inherits_from_parents_and_reads_expired_as_missing() -> None:
    store = MemoryKVStore()
    store.put(new_entry("company", "shared", "root", now=NOW))
    store.put(new_entry("company.team", "old", "x", ttl=timedelta(seconds=1), now=NOW - timedelta(seconds=5)))
    assert lookup(store, "company.team.dev", "shared", NOW, inherit=True)[0].value == "root"  # type: ignore[union-attr]
    assert lookup(store, "company.team.dev", "shared", NOW) == (None, None)
    assert lookup(store, "company.team", "old", NOW) == (None, "expired")
    assert visible_entries(store.entries("company.team"), NOW) == []


def test_key_lists_hide_expired_entries_and_state_documents() -> None:
    entries = [new_entry("ns", k, 1, now=NOW) for k in ("orders", "other", "_state.abc")]
    assert [e.key for e in visible_entries(entries, NOW)] == ["orders", "other"]
    assert [e.key for e in visible_entries(entries, NOW, prefix="or")] == ["orders"]


@pytest.fixture
def store() -> Any:
    store = MemoryKVStore()
    store.put(new_entry("company", "shared", "root", now=NOW))
    store.put(new_entry("company.team", "n", "41", kv_type=KVType.NUMBER, now=NOW))
    configure_store(store)
    yield store
    configure_store(None)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ kv('n') + 1 }}", 42),
        ("{{ kv('shared') }}", "root"),
        ("{{ kv('n', namespace='company', errorOnMissing=false) }}", None),
        ("{{ kv(key='n', namespace='company.team') }}", 41),
    ],
)
def test_kv_function(store: MemoryKVStore, template: str, expected: Any) -> None:
    assert render_value(template, {"flow": {"namespace": "company.team", "id": "f"}}) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ kv('nope') }}", "The key 'nope' does not exist in the namespace 'company.team'."),
        ("{{ kv('shared', namespace='company.team') }}", "The key 'shared' does not exist in the namespace 'company.team'."),
        ("{{ kv('bad key') }}", "invalid key 'bad key'"),
        ("{{ kv() }}", "expects an argument 'key'"),
    ],
)
def test_kv_function_errors(store: MemoryKVStore, template: str, message: str) -> None:
    with pytest.raises(HarrierExpressionError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        render_value(template, {"flow": {"namespace": "company.team", "id": "f"}})


def test_kv_function_without_a_store_says_so() -> None:
    configure_store(None)
    with pytest.raises(HarrierExpressionError, match="the KV store is not available here"):
        render_value("{{ kv('a') }}", {"flow": {"namespace": "ns"}})


def test_the_table_applies_entries_and_tombstones() -> None:
    table = KVTable()
    entry = new_entry("a.b", "k", {"x": 1}, now=NOW)
    table.apply(encode_key(entry.uid), KV_ENTRY.encode(entry))
    table.apply(b"a.b/other", b"not an envelope")
    assert table.get("a.b", "k") == entry and len(table) == 1
    table.apply(encode_key(entry.uid), None)
    assert table.get("a.b", "k") is None and table.entries("a.b") == []
