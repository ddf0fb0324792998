"""The KV API against a real webserver and broker, in the shape of Kestra's KVController."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from webserver_stack import Stack, start_stack, stop_stack

from harrier.config.settings import Settings
from harrier.core.kv import KVType
from harrier.kv.store import TopicKVStore

pytestmark = pytest.mark.integration

BASE = "/api/v1/main/namespaces/company.team/kv"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def api(stack_settings: Settings) -> Iterator[Stack]:
    """A webserver of its own (no indexer: the KV API does not read Elasticsearch)."""
    running, server, thread = start_stack(stack_settings)
    yield running
    stop_stack(running, server, thread)


@pytest.mark.parametrize(
    ("key", "body", "expected"),
    [
        ("text", '"hello"', {"type": "STRING", "value": "hello"}),
        ("count", "42", {"type": "NUMBER", "value": 42}),
        ("flag", "true", {"type": "BOOLEAN", "value": True}),
        ("doc", '{"a": [1, 2]}', {"type": "JSON", "value": {"a": [1, 2]}}),
        ("when", "2026-01-02T03:04:05+01:00", {"type": "DATETIME", "value": "2026-01-02T02:04:05Z"}),
        ("day", "2026-01-02", {"type": "DATE", "value": "2026-01-02"}),
        ("wait", '"PT1H30M"', {"type": "DURATION", "value": "PT1H30M"}),
    ],
)
def test_a_value_put_reads_back_with_its_type(api: Stack, key: str, body: str, expected: dict) -> None:
    put = api.client.put(f"{BASE}/{key}", content=body, headers=JSON)
    assert put.status_code == 200, put.text
    assert api.client.get(f"{BASE}/{key}").json() == expected
    # Both routes, the same store.
    assert api.client.get(f"/api/v1/namespaces/company.team/kv/{key}").json() == expected


def test_list_delete_and_inheritance(api: Stack) -> None:
    ns = "/api/v1/namespaces/acme.data/kv"
    for key, headers in (("b", {"description": "second"}), ("a", {}), ("c", {})):
        assert api.client.put(f"{ns}/{key}", content='"v"', headers={**JSON, **headers}).status_code == 200
    assert api.client.put("/api/v1/namespaces/acme/kv/top", content="1", headers=JSON).status_code == 200

    listed = api.client.get(ns).json()
    assert [e["key"] for e in listed] == ["a", "b", "c"]
    assert listed[1]["description"] == "second" and listed[1]["expirationDate"] is None
    assert listed[0]["creationDate"].endswith("Z") and listed[0]["updateDate"].endswith("Z")

    inherited = api.client.get(f"{ns}/inheritance").json()
    assert [(n["namespace"], [e["key"] for e in n["kvEntries"]]) for n in inherited] == [
        ("acme.data", ["a", "b", "c"]), ("acme", ["top"]),
    ]

    assert api.client.delete(f"{ns}/a").json() is True
    assert api.client.delete(f"{ns}/a").json() is False
    bulk = api.client.request("DELETE", ns, json={"keys": ["b", "missing"]})
    assert bulk.status_code == 200 and bulk.json() == {"keys": ["b"]}
    assert [e["key"] for e in api.client.get(ns).json()] == ["c"]
    missing = api.client.get(f"{ns}/a")
    assert missing.status_code == 404
    assert missing.json()["message"] == "No value found for key 'a' in namespace 'acme.data'"


def test_a_ttl_expires_the_value(api: Stack) -> None:
    put = api.client.put(f"{BASE}/brief", content='"soon gone"', headers={**JSON, "ttl": "PT1S"})
    assert put.status_code == 200, put.text
    listed = {e["key"]: e for e in api.client.get(BASE).json()}
    assert listed["brief"]["expirationDate"] is not None
    time.sleep(1.2)
    assert api.client.get(f"{BASE}/brief").status_code == 404
    assert "brief" not in {e["key"] for e in api.client.get(BASE).json()}


def test_what_another_process_reads(api: Stack) -> None:
    # The API's write is on the topic: a store of its own (as a worker has) reads it.
    assert api.client.put(f"{BASE}/shared", content='{"region": "eu"}', headers=JSON).status_code == 200
    store = TopicKVStore(api.settings, "kv-api-test")
    try:
        entry = store.get("company.team", "shared")
        assert entry is not None and (entry.type, entry.value) == (KVType.JSON, {"region": "eu"})
    finally:
        store.close()


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "message"),
    [
        ("PUT", f"{BASE}/bad%20key", '"x"', {}, "invalid key 'bad key'"),
        ("PUT", f"{BASE}/k", "not json", {}, "Invalid JSON value for: not json"),
        ("PUT", f"{BASE}/k", '"x"', {"ttl": "1h"}, "header ttl: invalid duration '1h'"),
        ("PUT", f"{BASE}/k", "", {}, "the body must hold the value"),
        ("GET", f"{BASE}/_hidden", None, {}, "invalid key '_hidden'"),
    ],
)
def test_bad_requests_say_what_is_wrong(api: Stack, method: str, path: str, body: str | None, headers: dict, message: str) -> None:
    answer = api.client.request(method, path, content=body, headers={**JSON, **headers})
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["message"]


def test_routes_are_in_the_openapi_document(api: Stack) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for prefix in ("/api/v1", "/api/v1/{tenant}"):
        assert set(paths[f"{prefix}/namespaces/{{namespace}}/kv/{{key}}"]) == {"get", "put", "delete"}
        assert set(paths[f"{prefix}/namespaces/{{namespace}}/kv"]) == {"get", "delete"}
        assert "get" in paths[f"{prefix}/namespaces/{{namespace}}/kv/inheritance"]
    assert api.client.get("/api/v1/other/namespaces/company.team/kv").status_code == 404
