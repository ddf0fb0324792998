"""Each runnable task's run function, with a fake run context (no Kafka)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from harrier.core.tasks.base import LogLevel
from harrier.worker.exceptions import TaskFailure


def run(ready: Any, fake: Any) -> Any:
    if ready.is_async:
        return asyncio.run(ready.run(ready.task, fake.context))
    return ready.run(ready.task, fake.context)


def test_log_writes_each_message_at_its_level(prepared: Any) -> None:
    ready, fake = prepared({"id": "l", "type": "Log", "message": ["one {{ n }}", "two"], "level": "WARN"}, {"n": 1})
    assert run(ready, fake) is None
    assert [(e.level, e.message) for e in fake.logs] == [(LogLevel.WARN, "one 1"), (LogLevel.WARN, "two")]


def test_output_values_and_return(prepared: Any) -> None:
    ready, fake = prepared({"id": "o", "type": "io.kestra.plugin.core.output.OutputValues", "values": {"k": "{{ [1, 2] }}", "s": "x"}})
    assert run(ready, fake) == {"values": {"k": [1, 2], "s": "x"}}
    ready, fake = prepared({"id": "r", "type": "io.kestra.plugin.core.debug.Return", "format": "{{ 6 * 7 }}"})
    assert run(ready, fake) == {"value": "42"}


def test_sleep_waits_for_its_duration(prepared: Any) -> None:
    ready, fake = prepared({"id": "s", "type": "io.kestra.plugin.core.flow.Sleep", "duration": "PT0.2S"})
    started = time.monotonic()
    run(ready, fake)
    assert 0.19 <= time.monotonic() - started < 1.0


@pytest.mark.parametrize(("condition", "fails"), [(None, True), (True, True), ("{{ 1 > 0 }}", True), ("{{ 1 < 0 }}", False), ("{{ 'false' }}", False), ("{{ flag }}", True)])
def test_fail_follows_its_condition(prepared: Any, condition: Any, fails: bool) -> None:
    task = {"id": "f", "type": "Fail", "errorMessage": "stop {{ n }}"}
    if condition is not None:
        task["condition"] = condition
    ready, fake = prepared(task, {"n": 3, "flag": "true"})
    if fails:
        with pytest.raises(TaskFailure, match="^stop 3$"):
            run(ready, fake)
    else:
        assert run(ready, fake) is None


def test_transform_value_parses_json_and_applies_the_expression(prepared: Any) -> None:
    ready, fake = prepared(
        {"id": "j", "type": "io.kestra.plugin.transform.jsonata.TransformValue", "from": '{"items": [{"p": 2}, {"p": 5}]}', "expression": "$sum(items.p)"}
    )
    assert run(ready, fake) == {"value": 7}
    ready, fake = prepared({"id": "j", "type": "jsonata.TransformValue", "from": "{{ data }}", "expression": "a.b"}, {"data": {"a": {"b": "x"}}})
    assert run(ready, fake) == {"value": "x"}


@pytest.mark.parametrize(("task", "cause"), [
    ({"from": "{}", "expression": "$sum(a"}, "invalid JSONata expression '\\$sum\\(a'"),
    ({"from": "{nope", "expression": "a"}, "property from: not valid JSON"),
    ({"from": "{}", "expression": "$foo()"}, "JSONata expression '\\$foo\\(\\)' failed"),
])
def test_transform_value_errors_name_the_cause(prepared: Any, task: dict, cause: str) -> None:
    ready, fake = prepared({"id": "j", "type": "jsonata.TransformValue", **task})
    with pytest.raises(TaskFailure, match=cause):
        run(ready, fake)


def test_shell_commands_log_output_set_outputs_and_store_files(prepared: Any) -> None:
    ready, fake = prepared({
        "id": "sh",
        "type": "io.kestra.plugin.scripts.shell.Commands",
        "env": {"GREETING": "{{ word }}"},
        "inputFiles": {"in.txt": "data"},
        "outputFiles": ["*.csv"],
        "commands": [
            "echo $GREETING",
            "cat in.txt > copy.csv",
            "echo extra > $OUTPUT_DIR/extra.txt",
            "echo '::{\"outputs\":{\"count\":3},\"metrics\":[{\"name\":\"rows\",\"value\":3}]}::'",
        ],
    }, {"word": "hello"})
    outputs = run(ready, fake)
    assert outputs["exitCode"] == 0
    assert outputs["vars"] == {"count": 3}
    assert set(outputs["outputFiles"]) == {"copy.csv", "extra.txt"}
    assert fake.storage.get(outputs["outputFiles"]["copy.csv"]) == b"data"
    assert fake.storage.get(outputs["outputFiles"]["extra.txt"]) == b"extra\n"
    assert fake.messages(LogLevel.INFO) == ["hello"]
    assert [(m.name, m.kind, m.value) for m in fake.metrics] == [("rows", "counter", 3.0)]
    assert fake.context.warnings == []


def test_input_files_given_as_storage_uris_are_fetched_into_the_working_directory(prepared: Any) -> None:
    own = "kestra:///company/team/flow/executions/exec-1/inputs/doc/d.csv"
    ready, fake = prepared({
        "id": "sh", "type": "shell.Commands", "outputFiles": ["copy.csv"],
        "inputFiles": {"in.csv": "{{ inputs.doc }}"}, "commands": ["cat in.csv > copy.csv"],
    }, {"inputs": {"doc": own}})
    fake.storage.put(own, b"a,b\n1,2\n")
    outputs = run(ready, fake)
    assert outputs["outputFiles"]["copy.csv"].startswith("kestra:///company/team/flow/executions/exec-1/tasks/sh/run-1/")
    assert fake.storage.get(outputs["outputFiles"]["copy.csv"]) == b"a,b\n1,2\n"


def test_input_files_of_another_execution_are_refused(prepared: Any) -> None:
    ready, fake = prepared({
        "id": "sh", "type": "shell.Commands", "commands": ["true"],
        "inputFiles": {"in.csv": "kestra:///company/team/flow/executions/other/inputs/doc/d.csv"},
    })
    with pytest.raises(TaskFailure, match="inputFiles.in.csv.*belongs neither to the current execution"):
        run(ready, fake)


def test_shell_failure_names_the_exit_code_and_last_error_line(prepared: Any) -> None:
    ready, fake = prepared({"id": "sh", "type": "shell.Commands", "commands": ["echo boom >&2", "exit 3", "echo never"]})
    with pytest.raises(TaskFailure, match="command exited with code 3: boom"):
        run(ready, fake)
    assert "never" not in fake.messages()


def test_shell_stderr_without_failure_ends_in_warning(prepared: Any) -> None:
    ready, fake = prepared({"id": "sh", "type": "shell.Commands", "commands": ["echo careful >&2"]})
    run(ready, fake)
    assert fake.messages(LogLevel.WARN) == ["careful"]
    assert fake.context.warnings == ["the commands wrote to standard error"]


def test_output_files_cannot_point_outside_the_working_directory(prepared: Any) -> None:
    ready, fake = prepared({"id": "sh", "type": "shell.Commands", "commands": ["true"], "outputFiles": ["../../etc/passwd"]})
    with pytest.raises(TaskFailure, match="points outside the working directory"):
        run(ready, fake)


def test_python_script_runs_in_a_subprocess_with_the_marker(prepared: Any) -> None:
    ready, fake = prepared({
        "id": "py",
        "type": "io.kestra.plugin.scripts.python.Script",
        "script": "import json, os\nprint('pid', os.getpid() != {{ 0 }})\nprint('::' + json.dumps({'outputs': {'sum': 1 + 2}}) + '::')\n",
    })
    outputs = run(ready, fake)
    assert outputs["vars"] == {"sum": 3}
    assert fake.messages(LogLevel.INFO) == ["pid True"]


def test_python_script_exception_fails_with_the_traceback_tail(prepared: Any) -> None:
    ready, fake = prepared({"id": "py", "type": "python.Script", "script": "raise ValueError('bad value')", "warningOnStdErr": False})
    with pytest.raises(TaskFailure, match="exited with code 1: ValueError: bad value"):
        run(ready, fake)


def test_cancel_kills_the_process_group(prepared: Any) -> None:
    ready, fake = prepared({"id": "sh", "type": "shell.Commands", "commands": ["sleep 30 & sleep 30"]})
    threading.Timer(0.3, fake.context.cancel).start()
    started = time.monotonic()
    with pytest.raises(TaskFailure, match="stopped"):
        run(ready, fake)
    assert time.monotonic() - started < 5


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        payload = json.dumps({"method": "POST", "body": body, "type": self.headers.get("Content-Type"), "auth": self.headers.get("Authorization")})
        self._reply(200 if self.path != "/missing" else 404, payload)

    def do_GET(self) -> None:  # noqa: N802
        self._reply(404 if self.path == "/missing" else 200, json.dumps({"method": "GET", "path": self.path}))

    def _reply(self, code: int, payload: str) -> None:
        data = payload.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Test", "a")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_request_outputs_code_headers_and_body(prepared: Any, server: str) -> None:
    ready, fake = prepared({
        "id": "h", "type": "io.kestra.plugin.core.http.Request", "uri": server + "/items?q={{ q }}", "method": "POST",
        "contentType": "application/json", "body": '{"a": 1}', "options": {"auth": {"type": "BEARER", "token": "tok"}},
    }, {"q": 5})
    outputs = run(ready, fake)
    assert outputs["code"] == 200
    assert outputs["headers"]["x-test"] == ["a"]
    assert json.loads(outputs["body"]) == {"method": "POST", "body": '{"a": 1}', "type": "application/json", "auth": "Bearer tok"}
    assert outputs["uri"] == server + "/items?q=5"


def test_http_form_data_is_url_encoded(prepared: Any, server: str) -> None:
    ready, fake = prepared({"id": "h", "type": "Request", "uri": server, "method": "POST", "formData": {"user": "ada", "n": 1}})
    assert json.loads(run(ready, fake)["body"])["body"] == "user=ada&n=1"


def test_http_error_status_fails_unless_allowed(prepared: Any, server: str) -> None:
    ready, fake = prepared({"id": "h", "type": "Request", "uri": server + "/missing"})
    with pytest.raises(TaskFailure, match="GET .*/missing failed with response code 404"):
        run(ready, fake)
    ready, fake = prepared({"id": "h", "type": "Request", "uri": server + "/missing", "allowFailed": True})
    assert run(ready, fake)["code"] == 404


@pytest.mark.parametrize(("uri", "cause"), [("not a url", "invalid uri 'not a url'"), ("http://127.0.0.1:1/x", "GET http://127.0.0.1:1/x failed: ConnectError")])
def test_http_bad_urls_name_the_cause(prepared: Any, uri: str, cause: str) -> None:
    ready, fake = prepared({"id": "h", "type": "Request", "uri": uri})
    with pytest.raises(TaskFailure, match=cause):
        run(ready, fake)
