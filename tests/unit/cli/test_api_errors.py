"""What the CLI says for each error answer of the API: one line (plus problems), the right exit code."""

from __future__ import annotations

import httpx

from harrier.cli.client import api_error
from harrier.cli.exceptions import ExitCode

SERVER = "http://h:8080"


def _answer(status: int, path: str = "/api/v1/main/flows/a/b", **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", f"{SERVER}{path}"), **kwargs)  # type: ignore[arg-type]


def test_a_404_says_what_is_missing_and_how_to_list_what_exists() -> None:
    error = api_error(_answer(404, json={"message": "flow a/b not found"}), SERVER, None, "flow a/b does not exist")
    assert error.lines() == ["error: flow a/b does not exist"]
    assert error.code is ExitCode.FAILED


def test_a_404_of_a_route_this_server_does_not_have_says_where() -> None:
    error = api_error(_answer(404, "/api/v1/main/flows/search", json={"detail": "Not Found"}), SERVER, None, None)
    assert error.lines() == ["error: Not Found (404 on GET /api/v1/main/flows/search)"]


def test_a_401_names_the_variables_to_set_or_the_one_refused() -> None:
    unauthorized = _answer(401, json={"message": "authentication required"})
    assert api_error(unauthorized, SERVER, None, None).lines() == [
        f"error: Harrier at {SERVER} needs credentials (401): set HARRIER_TOKEN, or HARRIER_USER and HARRIER_PASSWORD"
    ]
    assert api_error(unauthorized, SERVER, "HARRIER_TOKEN", None).lines() == [
        f"error: Harrier at {SERVER} refused the credentials in HARRIER_TOKEN (401)"
    ]


def test_a_5xx_says_where_it_happened_even_without_a_json_body() -> None:
    error = api_error(_answer(500, "/api/v1/main/executions/search", text="Internal Server Error"), SERVER, None, None)
    assert error.lines() == [
        f"error: Harrier at {SERVER} failed on GET /api/v1/main/executions/search (500): Internal Server Error; "
        "its log says more"
    ]


def test_refused_inputs_are_a_validation_error_with_each_problem_on_a_line() -> None:
    body = {"message": "invalid inputs for flow examples/foreach-fanout: input 'size': expected an integer, got 'abc'",
            "problems": ["input 'size': expected an integer, got 'abc'"]}
    error = api_error(_answer(422, json=body), SERVER, None, None)
    assert error.code is ExitCode.USAGE
    assert error.lines() == [f"error: {body['message']}"]  # the one problem is the message already
    two = {"message": "invalid inputs for flow f: 2 problems", "problems": ["input 'a': missing", "input 'b': missing"]}
    assert api_error(_answer(422, json=two), SERVER, None, None).lines() == [
        "error: invalid inputs for flow f: 2 problems", "  input 'a': missing", "  input 'b': missing",
    ]


def test_flow_problems_keep_their_place() -> None:
    problem = {"line": 5, "column": 11, "path": "tasks[0].type", "message": "unknown task type"}
    error = api_error(_answer(422, json={"message": "invalid flow", "problems": [problem]}), SERVER, None, None)
    assert error.lines()[1] == "  5:11: tasks[0].type: unknown task type"


def test_a_refused_command_is_exit_1_with_the_api_message() -> None:
    error = api_error(_answer(409, json={"message": "execution x is SUCCESS: only a PAUSED one resumes"}),
                      SERVER, None, "unused for a 409")
    assert (error.lines(), error.code) == (["error: execution x is SUCCESS: only a PAUSED one resumes"], ExitCode.FAILED)
