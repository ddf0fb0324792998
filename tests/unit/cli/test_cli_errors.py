"""The CLI's answers to an API error and to a webserver that is not there: lines, no traceback."""

from __future__ import annotations

import socket

import httpx
import pytest

from harrier.cli.client import fail_on_error
from harrier.cli.main import UNREACHABLE, main


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_input_problems_given_as_text_are_printed_as_lines(capsys: pytest.CaptureFixture[str]) -> None:
    body = {"message": "invalid inputs for flow examples/foreach-fanout: input 'size': expected an integer, got 'abc'",
            "problems": ["input 'size': expected an integer, got 'abc'"]}
    response = httpx.Response(422, json=body, request=httpx.Request("POST", "http://h/api/v1/executions/a/b"))
    with pytest.raises(SystemExit) as exit_:
        fail_on_error(response)
    assert exit_.value.code == 1
    assert capsys.readouterr().err.splitlines() == [f"error: 422: {body['message']}", f"  {body['problems'][0]}"]


def test_flow_problems_keep_their_place(capsys: pytest.CaptureFixture[str]) -> None:
    problem = {"line": 5, "column": 11, "path": "tasks[0].type", "message": "unknown task type"}
    response = httpx.Response(422, json={"message": "invalid flow", "problems": [problem]},
                              request=httpx.Request("POST", "http://h/api/v1/flows"))
    with pytest.raises(SystemExit):
        fail_on_error(response)
    assert capsys.readouterr().err.splitlines()[1] == "  5:11: tasks[0].type: unknown task type"


def test_a_webserver_that_is_not_there_is_one_line_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    server = f"http://127.0.0.1:{_closed_port()}"
    assert main(["flow", "list", "--server", server]) == UNREACHABLE
    err = capsys.readouterr().err
    assert err == (f"error: no Harrier at {server}: start it with `harrier server standalone` or `make run`, "
                   "or point --server (HARRIER_SERVER) at it\n")
