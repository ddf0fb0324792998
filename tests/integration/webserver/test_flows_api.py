"""Flows endpoints against the real stack: deploy, revisions, read, list, search, delete, validate."""

from __future__ import annotations

import pytest
from webserver_stack import Stack

pytestmark = pytest.mark.integration

YAML = {"Content-Type": "application/x-yaml"}


def flow_yaml(flow_id: str, message: str = "hello", namespace: str = "company.team") -> str:
    return (
        f"id: {flow_id}\nnamespace: {namespace}\ndescription: greets {flow_id}\nlabels:\n  team: data\n"
        f"tasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: {message}\n"
    )


def test_deploy_creates_revision_one_then_counts_only_changes(stack: Stack) -> None:
    created = stack.client.post("/api/v1/flows", content=flow_yaml("rev"), headers=YAML)
    assert created.status_code == 201, created.text
    assert created.json()["revision"] == 1
    assert created.json()["labels"] == [{"key": "team", "value": "data"}]
    assert (created.json()["deleted"], created.json()["disabled"]) == (False, False)

    same = stack.client.post("/api/v1/flows", content=flow_yaml("rev"), headers=YAML)
    assert (same.status_code, same.json()["revision"]) == (200, 1)

    changed = stack.client.put("/api/v1/flows/company.team/rev", content=flow_yaml("rev", "bye"), headers=YAML)
    assert (changed.status_code, changed.json()["revision"]) == (200, 2)

    latest = stack.client.get("/api/v1/flows/company.team/rev").json()
    assert latest["revision"] == 2 and "bye" in latest["source"]
    first = stack.client.get("/api/v1/flows/company.team/rev", params={"revision": 1}).json()
    assert first["revision"] == 1 and "hello" in first["source"]
    revisions = stack.client.get("/api/v1/flows/company.team/rev/revisions").json()
    assert [r["revision"] for r in revisions] == [1, 2]


def test_invalid_yaml_is_422_with_line_column_and_path(stack: Stack) -> None:
    bad = "id: broken\nnamespace: company.team\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.log.Log\n    mesage: hi\n"
    response = stack.client.post("/api/v1/flows", content=bad, headers=YAML)
    assert response.status_code == 422
    body = response.json()
    assert body["message"].startswith("invalid flow:")
    problem = next(p for p in body["problems"] if "mesage" in p["path"] or "mesage" in p["message"])
    assert (problem["line"], problem["column"]) == (6, 5)

    syntax = stack.client.post("/api/v1/flows", content="id: [unclosed\n", headers=YAML)
    assert syntax.status_code == 422
    assert "invalid YAML" in syntax.json()["problems"][0]["message"]
    assert syntax.json()["problems"][0]["line"] >= 1


def test_validate_does_not_deploy(stack: Stack) -> None:
    valid = stack.client.post("/api/v1/flows/validate", content=flow_yaml("checked"), headers=YAML)
    assert valid.json() == {"valid": True, "namespace": "company.team", "id": "checked", "problems": []}
    assert stack.client.get("/api/v1/flows/company.team/checked").status_code == 404

    invalid = stack.client.post("/api/v1/flows/validate", content="id: x\nnamespace: Bad Namespace\n", headers=YAML)
    body = invalid.json()
    assert invalid.status_code == 200 and body["valid"] is False
    assert any(p["path"] == "namespace" and "invalid namespace" in p["message"] for p in body["problems"])
    assert any("tasks" in p["message"] for p in body["problems"])


def test_unknown_flow_and_revision_are_404_with_clear_messages(stack: Stack) -> None:
    missing = stack.client.get("/api/v1/flows/company.team/nope")
    assert (missing.status_code, missing.json()["message"]) == (404, "flow company.team/nope not found")

    stack.client.post("/api/v1/flows", content=flow_yaml("onerev"), headers=YAML)
    revision = stack.client.get("/api/v1/flows/company.team/onerev", params={"revision": 7})
    assert revision.status_code == 404
    assert revision.json()["message"] == "flow company.team/onerev has no revision 7 (latest is 1)"

    put_unknown = stack.client.put("/api/v1/flows/company.team/ghost", content=flow_yaml("ghost"), headers=YAML)
    assert put_unknown.status_code == 404

    mismatch = stack.client.put("/api/v1/flows/company.team/onerev", content=flow_yaml("other"), headers=YAML)
    assert mismatch.status_code == 422
    assert "path names company.team/onerev" in mismatch.json()["message"]


def test_delete_tombstones_the_flow(stack: Stack) -> None:
    stack.client.post("/api/v1/flows", content=flow_yaml("doomed"), headers=YAML)
    assert stack.client.delete("/api/v1/flows/company.team/doomed").status_code == 204
    assert stack.client.get("/api/v1/flows/company.team/doomed").status_code == 404
    again = stack.client.delete("/api/v1/flows/company.team/doomed")
    assert (again.status_code, again.json()["message"]) == (404, "flow company.team/doomed not found")


def test_list_and_search(stack: Stack) -> None:
    stack.client.post("/api/v1/flows", content=flow_yaml("alpha", namespace="search.ns"), headers=YAML)
    stack.client.post("/api/v1/flows", content=flow_yaml("beta", namespace="search.ns.sub"), headers=YAML)
    stack.client.post("/api/v1/flows", content=flow_yaml("gamma", namespace="elsewhere"), headers=YAML)

    listed = stack.client.get("/api/v1/flows", params={"namespace": "search.ns"}).json()
    assert [(f["namespace"], f["id"]) for f in listed] == [("search.ns", "alpha"), ("search.ns.sub", "beta")]

    def found() -> list[str]:
        response = stack.client.get("/api/v1/flows/search", params={"q": "beta", "namespace": "search.ns"})
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["results"]]

    assert stack.eventually(found) == ["beta"]
    bad_size = stack.client.get("/api/v1/flows/search", params={"size": 0})
    assert bad_size.status_code == 422
    assert "query parameter size" in bad_size.json()["message"]


def test_a_restarted_webserver_rebuilds_the_flow_table_from_the_topic(stack: Stack) -> None:
    from webserver_stack import start_stack, stop_stack

    stack.client.post("/api/v1/flows", content=flow_yaml("durable"), headers=YAML)
    stack.client.put("/api/v1/flows/company.team/durable", content=flow_yaml("durable", "v2"), headers=YAML)
    other, server, thread = start_stack(stack.settings)
    try:
        flow = other.client.get("/api/v1/flows/company.team/durable").json()
        assert flow["revision"] == 2 and "v2" in flow["source"]
        assert other.client.get("/api/v1/flows/company.team/durable", params={"revision": 1}).status_code == 200
    finally:
        stop_stack(other, server, thread)
