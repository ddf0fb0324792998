"""Request parsing helpers: flow validation errors, labels, log lines, invalid-request messages."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, Query

from harrier.webserver.deploy import validate_source
from harrier.webserver.exceptions import Unprocessable
from harrier.webserver.handlers import install_handlers
from harrier.webserver.launch import parse_labels
from harrier.webserver.routes.logs import log_line


def test_an_invalid_flow_lists_every_problem_with_its_place() -> None:
    source = "id: f\nnamespace: team\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    nope: 1\n"
    with pytest.raises(Unprocessable) as caught:
        validate_source(source)
    body = caught.value.body()
    assert body["message"].startswith("invalid flow: ")
    assert any(p["line"] == 6 and p["column"] == 5 and "nope" in p["path"] + p["message"] for p in body["problems"])


def test_labels_are_key_colon_value() -> None:
    assert parse_labels(["env:prod", "url:http://x"]) == {"env": "prod", "url": "http://x"}
    with pytest.raises(Unprocessable, match="'oops' is not key:value"):
        parse_labels(["oops"])


def test_log_lines_for_download() -> None:
    entry = {"timestamp": "2026-01-01T00:00:00Z", "level": "WARN", "task_id": "t", "message": "a\nb"}
    assert log_line(entry) == "2026-01-01T00:00:00Z WARN [t] a\n    b\n"
    assert log_line({"timestamp": "x", "level": "INFO", "message": "m"}) == "x INFO m\n"


def test_invalid_requests_name_the_parameter(app_client: Any) -> None:
    app = FastAPI()
    install_handlers(app)

    @app.get("/items")
    async def items(size: int = Query(10, le=100)) -> dict[str, int]:
        return {"size": size}

    client = app_client(app)
    response = client.get("/items", params={"size": 1000})
    assert response.status_code == 422
    assert response.json()["message"].startswith("invalid request: query parameter size: ")
    unknown = client.get("/nowhere")
    assert (unknown.status_code, unknown.json()["message"]) == (404, "no such endpoint: GET /nowhere")
