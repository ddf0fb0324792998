"""A flow of the non-trivial runnable tasks end to end through executor and worker.

`test_flows.py` drives flows of Log, Return, Fail, Sleep and Pause; this module runs one flow
that chains an HTTP Request (against a local `http.server` in a thread), shell Commands and a
Python Script that set outputs with Kestra's `::{"outputs": {...}}::` marker, and a JSONata
TransformValue, each task reading the previous one's outputs. It reuses `test_flows.py`'s
`Stack` helper and settings, with its own topics (prefix unique to this module).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harrier.topics import build_specs, create_admin, ensure_topics

# pytest runs with importlib mode: make the sibling module importable by name.
sys.path.insert(0, str(Path(__file__).parent))

from test_flows import TOPICS, Stack, _settings, running  # noqa: E402

pytestmark = pytest.mark.integration

ORDERS = {"orders": [{"sku": "a", "price": 2, "qty": 3}, {"sku": "b", "price": 5, "qty": 1}]}

FLOW = r"""
id: tasks
namespace: e2e
inputs:
  - {id: api, type: STRING}
tasks:
  - id: fetch
    type: io.kestra.plugin.core.http.Request
    uri: "{{ inputs.api }}/orders?from=harrier"
    method: POST
    contentType: application/json
    headers: {X-Agent: harrier}
    body: '{"want": "orders"}'
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo counting
      - |-
        echo '::{"outputs": {"status": {{ outputs.fetch.code }}, "agent": "{{ (outputs.fetch.body | fromJson).agent }}"}}::'
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import json
      orders = json.loads('{{ outputs.fetch.body }}')["orders"]
      print("::" + json.dumps({"outputs": {"skus": [o["sku"] for o in orders], "status": {{ outputs.sh.vars.status }}}}) + "::")
  - id: total
    type: io.kestra.plugin.transform.jsonata.TransformValue
    from: "{{ outputs.fetch.body }}"
    expression: "$sum(orders.(price * qty))"
outputs:
  - {id: total, value: "{{ outputs.total.value }}"}
  - {id: skus, value: "{{ outputs.py.vars.skus }}"}
"""


class _Orders(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        data = json.dumps({**ORDERS, "agent": self.headers.get("X-Agent"), "path": self.path, "request": request}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Orders)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One executor (supervisor, one stream process) and one worker thread, as in test_flows.py."""
    settings = _settings(kafka_bootstrap, tmp_path_factory.mktemp("storage"))
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs[name] for name in TOPICS])
    helper = Stack(settings)
    helper.deploy(FLOW)
    with running(settings, "e2e-tasks"):
        yield helper


def test_http_shell_python_and_jsonata_chain_their_outputs(stack: Stack, api: str) -> None:
    execution_id = stack.start("e2e", "tasks", {"api": api})
    state = stack.ended(execution_id, timeout=90)
    assert state["state"] == "SUCCESS", state.get("error")
    runs = {tr["task_id"]: tr for tr in state["task_runs"]}
    assert list(runs) == ["fetch", "sh", "py", "total"]
    assert all(tr["state"] == "SUCCESS" for tr in runs.values())

    fetch = runs["fetch"]["outputs"]
    assert fetch["code"] == 201
    assert fetch["headers"]["content-type"] == ["application/json"]
    assert json.loads(fetch["body"]) == {**ORDERS, "agent": "harrier", "path": "/orders?from=harrier", "request": {"want": "orders"}}
    assert runs["sh"]["outputs"]["vars"] == {"status": 201, "agent": "harrier"}
    assert runs["py"]["outputs"]["vars"] == {"skus": ["a", "b"], "status": 201}
    assert runs["total"]["outputs"] == {"value": 11}
    assert state["outputs"] == {"total": 11, "skus": ["a", "b"]}
