"""Argument handling: inputs, --debug on either side of the command, exit codes in --help,
shell completion, and the one line a server that is not there gets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from harrier.cli.exceptions import CliError, ExitCode
from harrier.cli.execution import parse_inputs
from harrier.cli.flow import in_namespace
from harrier.cli.main import build_parser, main


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_inputs_are_key_value_and_key_at_path_for_a_file(tmp_path: Path) -> None:
    upload = tmp_path / "data.csv"
    upload.write_text("a,b\n")
    assert parse_inputs(["size=20", "query=a=b", "empty=", f"doc=@{upload}"]) == {
        "size": "20", "query": "a=b", "empty": "", "doc": upload,
    }


@pytest.mark.parametrize(("pair", "message"), [
    ("size", "--input 'size': expected KEY=VALUE (KEY=@PATH for a file)"),
    ("=20", "--input '=20': expected KEY=VALUE (KEY=@PATH for a file)"),
    ("doc=@/no/such/file", "--input doc: /no/such/file is not a file"),
])
def test_a_bad_input_is_a_usage_error_naming_it(pair: str, message: str) -> None:
    with pytest.raises(CliError) as error:
        parse_inputs([pair])
    assert (error.value.message, error.value.code) == (message, ExitCode.USAGE)


def test_debug_is_taken_before_and_after_the_command() -> None:
    parser = build_parser()
    assert parser.parse_args(["--debug", "flow", "list"]).debug
    assert parser.parse_args(["flow", "list", "--debug"]).debug
    assert not parser.parse_args(["flow", "list"]).debug


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for line in ("0  success", "1  the execution failed, or the API refused the command",
                 "2  usage error, or a flow or input that does not validate", "3  no Harrier answers at --server",
                 "4  --wait or follow ran out of --timeout"):
        assert line in out


def test_a_namespace_holds_its_children_only() -> None:
    assert in_namespace("company.team", "company") and in_namespace("company", "company")
    assert not in_namespace("companyx", "company")


def test_a_webserver_that_is_not_there_is_one_line_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    server = f"http://127.0.0.1:{_closed_port()}"
    assert main(["execution", "list", "--server", server]) == ExitCode.UNREACHABLE
    assert capsys.readouterr().err == (f"error: no Harrier at {server}: start it with `harrier server standalone` "
                                       "or `make run`, or point --server (HARRIER_SERVER) at it\n")


def test_debug_adds_the_stack_to_the_same_line(capsys: pytest.CaptureFixture[str]) -> None:
    server = f"http://127.0.0.1:{_closed_port()}"
    assert main(["--debug", "flow", "list", "--server", server]) == ExitCode.UNREACHABLE
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.endswith("or point --server (HARRIER_SERVER) at it\n")


def test_the_shell_completes_commands_actions_and_options(tmp_path: Path) -> None:
    def complete(line: str) -> set[str]:
        out = tmp_path / "completions"
        env = {**os.environ, "_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
               "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}
        subprocess.run([sys.executable, "-m", "harrier.cli.main"], env=env, check=True, timeout=30)
        return {word.strip() for word in out.read_text().split("\n")}

    assert {"flow", "execution", "namespace", "completion"} <= complete("harrier ")
    assert {"logs", "follow", "kill", "resume", "restart", "delete"} <= complete("harrier execution ")
    assert "--level" in complete("harrier execution logs --le")


def test_completion_prints_a_script_registering_harrier() -> None:
    for shell in ("bash", "zsh"):
        script = subprocess.run([sys.executable, "-m", "harrier.cli.main", "completion", shell],
                                capture_output=True, text=True, check=True).stdout
        assert "complete" in script and "harrier" in script


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    # `harrier ... | head`: the pipe's reader is gone before harrier writes.
    proc = subprocess.Popen([sys.executable, "-m", "harrier.cli.main", "completion", "bash"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    assert proc.wait(timeout=30) == ExitCode.FAILED
    assert proc.stderr.read() == b""
