"""Every runnable task type through a real worker and the real broker."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harrier.core.states import State
from harrier.core.tasks.base import LogLevel
from harrier.topics.records import WORKER_TASK

pytestmark = pytest.mark.integration


class _Api(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        data = json.dumps({"received": json.loads(body), "agent": self.headers.get("X-Agent")}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_every_task_type_runs_and_reports(worker: Any, harness: Any, worker_task: Any, worker_env: Any, api: str) -> None:
    storage = worker_env[1]
    records = harness.send(
        log := worker_task({"id": "hello", "type": "io.kestra.plugin.core.log.Log", "message": "Hello {{ inputs.name }}"}, context={"inputs": {"name": "World"}}),
        values := worker_task({"id": "vals", "type": "io.kestra.plugin.core.output.OutputValues", "values": {"n": "{{ taskrun.value | int * 2 }}"}}, value="21"),
        ret := worker_task({"id": "ret", "type": "io.kestra.plugin.core.debug.Return", "format": "{{ flow.namespace }}/{{ flow.id }}"}),
        sleep := worker_task({"id": "nap", "type": "io.kestra.plugin.core.flow.Sleep", "duration": "PT0.3S"}),
        fail := worker_task({"id": "stop", "type": "io.kestra.plugin.core.execution.Fail", "errorMessage": "stopped on purpose"}),
        http := worker_task({"id": "post", "type": "io.kestra.plugin.core.http.Request", "uri": api + "/items", "method": "POST",
                             "contentType": "application/json", "body": "{{ payload | tojson }}", "headers": {"X-Agent": "harrier"}},
                            context={"payload": {"a": 1}}),
        shell := worker_task({"id": "sh", "type": "io.kestra.plugin.scripts.shell.Commands", "outputFiles": ["report.txt"],
                              "commands": ["echo building", "echo 42 > report.txt", "echo '::{\"outputs\":{\"answer\":42}}::'"]}),
        python := worker_task({"id": "py", "type": "io.kestra.plugin.scripts.python.Script",
                               "script": "import json\nprint('::' + json.dumps({'outputs': {'items': [1, 2]}}) + '::')"}),
        jsonata := worker_task({"id": "jq", "type": "io.kestra.plugin.transform.jsonata.TransformValue",
                                "from": '{"orders": [{"price": 2, "qty": 3}, {"price": 5, "qty": 1}]}', "expression": "$sum(orders.(price * qty))"}),
    )
    results = harness.results(records)
    states = {r.task_id: results[r.task_run_id].state for r in records}
    assert states == {"hello": State.SUCCESS, "vals": State.SUCCESS, "ret": State.SUCCESS, "nap": State.SUCCESS, "stop": State.FAILED,
                      "post": State.SUCCESS, "sh": State.SUCCESS, "py": State.SUCCESS, "jq": State.SUCCESS}
    assert results[values.task_run_id].outputs == {"values": {"n": 42}}
    assert results[ret.task_run_id].outputs == {"value": "company.team/worker_test"}
    assert results[fail.task_run_id].error == "task 'stop': stopped on purpose"
    response = results[http.task_run_id].outputs
    assert response["code"] == 201
    assert json.loads(response["body"]) == {"received": {"a": 1}, "agent": "harrier"}
    assert response["headers"]["content-type"] == ["application/json"]
    shell_out = results[shell.task_run_id].outputs
    assert shell_out["vars"] == {"answer": 42}
    assert storage.get(shell_out["outputFiles"]["report.txt"]) == b"42\n"
    assert results[python.task_run_id].outputs["vars"] == {"items": [1, 2]}
    assert results[jsonata.task_run_id].outputs == {"value": 11}
    sleep_result = results[sleep.task_run_id]
    assert (sleep_result.ended_at - sleep_result.started_at).total_seconds() >= 0.29

    lines = harness.logs(log)
    assert [(e.level, e.message, e.task_id, e.execution_id) for e in lines] == [(LogLevel.INFO, "Hello World", "hello", log.execution_id)]
    assert [e.message for e in harness.logs(shell) if e.level is LogLevel.INFO] == ["building"]


def test_log_level_filters_lines_and_metrics_are_shipped(worker: Any, harness: Any, worker_task: Any) -> None:
    record = harness.send(worker_task({
        "id": "noisy", "type": "shell.Commands", "logLevel": "WARN", "warningOnStdErr": False,
        "commands": ["echo info-line", "echo warn-line >&2", "echo '::{\"metrics\":[{\"name\":\"rows\",\"type\":\"counter\",\"value\":7,\"tags\":{\"table\":\"t\"}}]}::'"],
    }))[0]
    assert harness.result(record).state is State.SUCCESS
    assert [(e.level, e.message) for e in harness.logs(record)] == [(LogLevel.WARN, "warn-line")]
    metrics = harness.metrics(record)
    assert [(m.name, m.kind, m.value, m.tags) for m in metrics] == [("rows", "counter", 7.0, {"table": "t"})]


def test_log_to_file_writes_storage_instead_of_the_topic(worker: Any, harness: Any, worker_task: Any, worker_env: Any) -> None:
    record = harness.send(worker_task({"id": "quiet", "type": "Log", "message": ["first", "second {{ 1 + 1 }}"], "logToFile": True}))[0]
    result = harness.result(record)
    assert result.state is State.SUCCESS
    text = worker_env[1].get(result.outputs["logFile"]).decode()
    assert [line.split(" ", 1)[1] for line in text.splitlines()] == ["INFO first", "INFO second 2"]
    assert harness.logs(record) == []


def _gone(pid_file: Path) -> bool:
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_timeouts_cancel_coroutines_and_kill_processes(worker: Any, harness: Any, worker_task: Any, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    nap, script = harness.send(
        worker_task({"id": "long_nap", "type": "Sleep", "duration": "PT60S", "timeout": "PT0.5S"}),
        worker_task({"id": "long_sh", "type": "shell.Commands", "timeout": "PT1S", "commands": [f"echo $$ > {pid_file}", "sleep 60"]}),
    )
    results = harness.results([nap, script], timeout_s=10)
    assert time.monotonic() - started < 8
    assert results[nap.task_run_id].state is State.FAILED
    assert results[nap.task_run_id].error == "task 'long_nap': timed out after PT0.5S"
    assert results[script.task_run_id].error == "task 'long_sh': timed out after PT1S"
    deadline = time.monotonic() + 5
    while not _gone(pid_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid_file)


def test_kill_requests_stop_running_and_not_yet_started_tasks(worker: Any, harness: Any, worker_task: Any, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    nap, script = harness.send(
        worker_task({"id": "nap", "type": "Sleep", "duration": "PT60S"}),
        worker_task({"id": "sh", "type": "shell.Commands", "commands": [f"echo $$ > {pid_file}", "sleep 60"]}),
    )
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    harness.kill(nap)
    harness.kill(script)
    results = harness.results([nap, script], timeout_s=10)
    assert results[nap.task_run_id].state is State.KILLED
    assert results[script.task_run_id].state is State.KILLED
    assert results[script.task_run_id].error == "task 'sh' was killed"
    deadline = time.monotonic() + 5
    while not _gone(pid_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid_file)

    early = worker_task({"id": "late", "type": "Log", "message": "must not run"})
    harness.kill(early)
    time.sleep(0.5)
    harness.send(early)
    assert harness.result(early).state is State.KILLED
    assert [e.message for e in harness.logs(early)] == ["task 'late' was killed"]


def test_bad_input_fails_the_task_with_its_cause_and_the_worker_keeps_going(worker: Any, harness: Any, worker_task: Any) -> None:
    records = harness.send(
        worker_task({"id": "bad_url", "type": "Request", "uri": "htp:/nowhere"}),
        worker_task({"id": "refused", "type": "Request", "uri": "http://127.0.0.1:1/"}),
        worker_task({"id": "exit3", "type": "shell.Commands", "commands": ["echo cannot continue >&2", "exit 3"]}),
        worker_task({"id": "bad_jsonata", "type": "jsonata.TransformValue", "from": "{}", "expression": "$sum(a"}),
        worker_task({"id": "bad_expr", "type": "Log", "message": "{{ nope.nothing }}"}),
        worker_task({"id": "unknown", "type": "io.kestra.plugin.core.log.Logg", "message": "m"}),
        worker_task({"id": "flowable", "type": "If", "condition": "true", "then": [{"id": "x", "type": "Log", "message": "m"}]}),
    )
    results = harness.results(records)
    errors = {r.task_id: results[r.task_run_id].error for r in records}
    assert all(results[r.task_run_id].state is State.FAILED for r in records)
    assert errors["bad_url"].startswith("task 'bad_url': invalid uri 'htp:/nowhere'")
    assert errors["refused"].startswith("task 'refused': GET http://127.0.0.1:1/ failed: ConnectError")
    assert errors["exit3"] == "task 'exit3': command exited with code 3: cannot continue"
    assert errors["bad_jsonata"].startswith("task 'bad_jsonata': invalid JSONata expression '$sum(a'")
    assert errors["bad_expr"].startswith("task 'bad_expr': property message:")
    assert "nope" in errors["bad_expr"]
    assert errors["unknown"] == "task 'unknown': unknown task type 'io.kestra.plugin.core.log.Logg' (did you mean 'io.kestra.plugin.core.log.Log'?)"
    assert "flowable task" in errors["flowable"]

    identifiable = worker_task({"id": "half", "type": "Log", "message": "m"})
    body = json.loads(WORKER_TASK.encode(identifiable))
    del body["data"]["created_at"]
    harness.send_raw(json.dumps(body).encode())
    harness.send_raw(b"not json at all")
    result = harness.result(identifiable)
    assert result.state is State.FAILED
    assert result.error.startswith("task 'half': the worker task could not be read: ")
    assert "created_at" in result.error
    letters = harness.dead_letters(2)
    assert b"not json at all" in {letter.value for letter in letters}
    assert any("created_at" in letter.error for letter in letters)
    assert all(letter.topic == harness.prefix + "worker-tasks" for letter in letters)

    after = harness.send(worker_task({"id": "still_alive", "type": "Log", "message": "ok"}))[0]
    assert harness.result(after).state is State.SUCCESS
    assert worker.thread.is_alive()
