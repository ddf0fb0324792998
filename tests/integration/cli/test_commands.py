"""Every `harrier` command as a user runs it (`.venv/bin/harrier ...`, a subprocess) against a
real standalone: what it prints, its exit code, and each mistake people make answered with
one line and no traceback. One standalone for the module; flows of its own namespace."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.standalone import free_port, standalone

pytestmark = pytest.mark.integration

HARRIER = str(Path(sys.executable).with_name("harrier"))
NS = "cli.demo"
FLOWS = {
    f"{NS}/hello.yml": f"""id: hello
namespace: {NS}
description: Greets someone.
inputs:
  - id: name
    type: STRING
    defaults: world
  - id: size
    type: INT
    defaults: 1
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{{{ inputs.name }}}}"
  - id: quiet
    type: io.kestra.plugin.core.log.Log
    level: DEBUG
    message: "size is {{{{ inputs.size }}}}"
outputs:
  - id: greeting
    type: STRING
    value: "Hello {{{{ inputs.name }}}}"
""",
    f"{NS}/fail.yml": f"""id: fail
namespace: {NS}
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: it went wrong
""",
    f"{NS}/pause.yml": f"""id: pause
namespace: {NS}
tasks:
  - id: approve
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT5M
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: resumed
""",
    f"{NS}/upload.yml": f"""id: upload
namespace: {NS}
inputs:
  - id: doc
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "got {{{{ inputs.doc }}}}"
""",
    f"{NS}.sub/child.yml": f"""id: child
namespace: {NS}.sub
tasks:
  - id: only
    type: io.kestra.plugin.core.log.Log
    message: child
""",
}
UNKNOWN_EXECUTION = "error: execution nope does not exist (harrier execution list shows the recent ones)\n"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (TRACE|DEBUG|INFO |WARN |ERROR) \S+: ")


TAG = f"clicmd{free_port()}"
TOKEN = "cli-t0ken"


@pytest.fixture(scope="module")
def server(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("cli-commands")
    with standalone(home, kafka_bootstrap, es_url, tag=TAG) as url:
        yield url


@pytest.fixture(scope="module")
def guarded(server: str, kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second webserver on the same topics, with bearer tokens on."""
    home = tmp_path_factory.mktemp("cli-guarded")
    auth = f"  auth:\n    mode: bearer\n    tokens: [{TOKEN}]\n"
    with standalone(home, kafka_bootstrap, es_url, tag=TAG, webserver=auth, only="webserver") as url:
        yield url


@pytest.fixture(scope="module")
def flows(server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's flows written to a folder and deployed."""
    folder = tmp_path_factory.mktemp("flows")
    for name, source in FLOWS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(source)
    deployed = harrier(server, "flow", "deploy", str(folder), "--namespace", NS)
    assert deployed.returncode == 0, deployed.stderr
    # Listings read Elasticsearch: once the indexer (which may start last) has them all.
    until(lambda: harrier(server, "flow", "list", NS), f"{NS}.sub  child ", timeout=90)
    return folder


def harrier(server: str | None, *args: str, timeout: float = 90, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed command; no output of any command ever holds a traceback."""
    command = [HARRIER, *args, *(["--server", server] if server else [])]
    clean = {key: value for key, value in os.environ.items() if not key.startswith("HARRIER_")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env={**clean, **env})
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def until(check: Callable[[], subprocess.CompletedProcess[str]], what: str,
          timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Searches read Elasticsearch, which the indexer fills a moment after the fact."""
    deadline = time.monotonic() + timeout
    while True:
        done = check()
        if done.returncode == 0 and what in done.stdout:
            return done
        assert time.monotonic() < deadline, f"{what!r} never appeared: {done.stdout}{done.stderr}"
        time.sleep(0.5)


def run_id(done: subprocess.CompletedProcess[str]) -> str:
    """The id in `execution <id> of ns/flow: CREATED`, the first line of `execution run`."""
    match = re.match(r"execution (\w+) of ", done.stdout)
    assert match, done.stdout + done.stderr
    return match.group(1)


def test_flow_commands_deploy_list_get_revise_export_and_round_trip(server: str, flows: Path, tmp_path: Path) -> None:
    hello = flows / NS / "hello.yml"
    assert harrier(None, "flow", "validate", str(flows)).stdout == "5 flow(s) valid\n"
    again = harrier(server, "flow", "deploy", str(hello))
    assert again.stdout.splitlines()[-1] == f"{NS}/hello revision 1 (unchanged) <- {hello}"
    [body] = json.loads(harrier(server, "flow", "deploy", str(hello), "--json").stdout)
    assert (body["namespace"], body["id"], body["revision"]) == (NS, "hello", 1)

    listed = harrier(server, "flow", "list", NS)
    assert listed.stdout.splitlines() == [
        "NAMESPACE     ID      REVISION  DISABLED  DESCRIPTION",
        f"{NS}      fail    1",
        f"{NS}      hello   1                   Greets someone.",
        f"{NS}      pause   1",
        f"{NS}      upload  1",
        f"{NS}.sub  child   1",
    ]
    assert harrier(server, "flow", "get", NS, "hello").stdout == FLOWS[f"{NS}/hello.yml"]
    body = json.loads(harrier(server, "flow", "get", NS, "hello", "--json").stdout)  # Kestra's FlowWithSource
    assert (body["namespace"], body["id"], body["revision"], body["source"]) == (NS, "hello", 1, hello.read_text())

    hello.write_text(hello.read_text().replace("Greets someone.", "Greets anyone."))
    assert harrier(server, "flow", "deploy", str(hello)).stdout.endswith(f"revision 2 (updated) <- {hello}\n")
    revisions = harrier(server, "flow", "revisions", NS, "hello").stdout.splitlines()
    assert revisions == ["REVISION  TASKS  DISABLED  DESCRIPTION", "1         2                Greets someone.",
                         "2         2                Greets anyone."]
    assert "Greets someone." in harrier(server, "flow", "get", NS, "hello", "--revision", "1").stdout
    old = json.loads(harrier(server, "execution", "run", NS, "hello", "--revision", "1", "--wait", "--json").stdout)
    assert (old["flowRevision"], old["state"]["current"]) == (1, "SUCCESS")
    for args in (("flow", "get", NS, "hello", "--revision", "9"), ("execution", "run", NS, "hello", "--revision", "9")):
        absent = harrier(server, *args)
        assert (absent.returncode, absent.stderr) == (
            1, f"error: flow {NS}/hello has no revision 9 (harrier flow revisions {NS} hello lists them)\n"
        )

    until(lambda: harrier(server, "flow", "list", NS), "Greets anyone.")
    exported = harrier(server, "flow", "export", NS, "--output", str(tmp_path))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines()[-1] == f"{NS}.sub/child revision 1 -> {tmp_path / f'{NS}.sub' / 'child.yml'}"
    assert {str(p.relative_to(tmp_path)): p.read_text() for p in tmp_path.rglob("*.yml")} == {
        name: (flows / name).read_text() for name in FLOWS
    }
    back = harrier(server, "flow", "deploy", str(tmp_path), "--namespace", NS)
    assert back.returncode == 0 and back.stdout.count("(unchanged)") == 5, back.stdout + back.stderr

    namespaces = until(lambda: harrier(server, "namespace", "list"), f"{NS}.sub")
    assert f"{NS}      4" in namespaces.stdout.splitlines()
    assert f"{NS}.sub  1" in namespaces.stdout.splitlines()


def test_run_follow_prints_states_and_logs_and_the_outputs(server: str, flows: Path) -> None:
    done = harrier(server, "execution", "run", NS, "hello", "--follow", "-i", "name=CLI", "-l", "team:cli")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(rf"execution \w+ of {NS}/hello: CREATED", lines[0])
    assert "-- execution RUNNING" in lines and lines.index("-- execution SUCCESS") < lines.index("final state: SUCCESS")
    assert any(LOG_LINE.match(line) and line.endswith(" INFO  hello: Hello CLI") for line in lines)
    assert "-- task hello SUCCESS" in " ".join(lines)
    assert lines[-4:] == ["outputs:", "{", '  "greeting": "Hello CLI"', "}"]
    execution_id = run_id(done)

    # Log lines are searched in Elasticsearch, where the indexer puts them a moment after the end.
    logs = until(lambda: harrier(server, "execution", "logs", execution_id), "Hello CLI").stdout.splitlines()
    assert [line.split(maxsplit=2)[2] for line in logs] == ["hello: Hello CLI"]
    assert all(LOG_LINE.match(line) for line in logs)
    debug = until(lambda: harrier(server, "execution", "logs", execution_id, "--level", "debug", "--task", "quiet"),
                  "size is 1").stdout
    assert [line.split(" ", 1)[1] for line in debug.splitlines()] == ["DEBUG quiet: size is 1"]
    entries = json.loads(harrier(server, "execution", "logs", execution_id, "--json").stdout)
    assert [(e["taskId"], e["message"], e["executionId"]) for e in entries] == [("hello", "Hello CLI", execution_id)]

    got = harrier(server, "execution", "get", execution_id).stdout.splitlines()
    assert got[0] == f"id:       {execution_id}" and got[2] == "state:    SUCCESS"
    assert re.fullmatch(rf"flow:     {NS}/hello revision \d+", got[1]), got[1]
    assert "labels:   team:cli" in got
    assert any(re.match(r"hello +SUCCESS +1 ", line) for line in got), got
    assert json.loads(harrier(server, "execution", "get", execution_id, "--json").stdout)["state"]["current"] == "SUCCESS"

    listed = until(lambda: harrier(server, "execution", "list", NS, "--flow", "hello"), execution_id)
    assert listed.stdout.splitlines()[0].split() == ["ID", "FLOW", "STATE", "STARTED", "DURATION"]
    searched = json.loads(harrier(server, "execution", "list", NS, "--state", "SUCCESS", "--json").stdout)
    assert execution_id in [e["id"] for e in searched["results"]]

    again = harrier(server, "execution", "follow", execution_id)
    assert again.returncode == 0 and "final state: SUCCESS" in again.stdout.splitlines(), again.stdout


def test_a_failed_execution_exits_1_with_its_error(server: str, flows: Path) -> None:
    done = harrier(server, "execution", "run", NS, "fail", "--wait")
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "final state: FAILED"
    assert "it went wrong" in done.stderr
    assert json.loads(harrier(server, "execution", "run", NS, "fail", "--wait", "--json").stdout)["state"]["current"] \
        == "FAILED"


def test_pause_timeout_resume_kill_restart_and_delete(server: str, flows: Path) -> None:
    waited = harrier(server, "execution", "run", NS, "pause", "--wait", "--timeout", "3")
    assert waited.returncode == 4, waited.stdout + waited.stderr
    paused = run_id(waited)
    assert waited.stderr == f"error: timed out after 3 s: execution {paused} is still PAUSED\n"

    assert harrier(server, "execution", "resume", paused).stdout == f"resume requested for execution {paused}\n"
    resumed = harrier(server, "execution", "follow", paused, "--timeout", "60")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert resumed.stdout.splitlines()[-1] == "final state: SUCCESS"
    until(lambda: harrier(server, "execution", "logs", paused), " INFO  after: resumed\n")

    killed = run_id(harrier(server, "execution", "run", NS, "pause"))
    until(lambda: harrier(server, "execution", "get", killed), "state:    PAUSED")
    still = harrier(server, "execution", "follow", killed, "--timeout", "2")
    assert (still.returncode, still.stderr) == (4, f"error: timed out after 2 s: execution {killed} is still PAUSED\n")
    assert harrier(server, "execution", "kill", killed).stdout == f"kill requested for execution {killed}\n"
    followed = harrier(server, "execution", "follow", killed, "--timeout", "60")
    assert (followed.returncode, followed.stdout.splitlines()[-1]) == (1, "final state: KILLED"), followed.stdout

    refused = harrier(server, "execution", "resume", killed)
    assert refused.returncode == 1 and refused.stderr.startswith("error: ") and len(refused.stderr.splitlines()) == 1

    assert harrier(server, "execution", "restart", killed).stdout == f"restart requested for execution {killed}\n"
    assert harrier(server, "execution", "kill", killed).returncode == 0
    harrier(server, "execution", "follow", killed, "--timeout", "60")
    assert harrier(server, "execution", "delete", killed).stdout == f"deleted execution {killed}\n"
    gone = harrier(server, "execution", "get", killed)
    assert (gone.returncode, gone.stderr) == (1, UNKNOWN_EXECUTION.replace("nope", killed))


@pytest.mark.parametrize("args", [
    ("execution", "get", "nope"), ("execution", "logs", "nope"), ("execution", "follow", "nope"),
    ("execution", "kill", "nope"), ("execution", "resume", "nope"), ("execution", "restart", "nope"),
    ("execution", "delete", "nope"),
])
def test_an_unknown_execution_is_one_line_exit_1(server: str, args: tuple[str, ...]) -> None:
    done = harrier(server, *args)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", UNKNOWN_EXECUTION)


@pytest.mark.parametrize("args", [
    ("execution", "run", NS, "nope"), ("flow", "get", NS, "nope"), ("flow", "revisions", NS, "nope"),
    ("flow", "delete", NS, "nope"),
])
def test_an_unknown_flow_is_one_line_exit_1(server: str, flows: Path, args: tuple[str, ...]) -> None:
    done = harrier(server, *args)
    assert (done.returncode, done.stderr) == (
        1, f"error: flow {NS}/nope does not exist (harrier flow list {NS} shows the deployed ones)\n"
    )


def test_bad_inputs_are_usage_errors_naming_the_input(server: str, flows: Path) -> None:
    shape = harrier(server, "execution", "run", NS, "hello", "--input", "size")
    assert (shape.returncode, shape.stderr) == (2, "error: --input 'size': expected KEY=VALUE (KEY=@PATH for a file)\n")
    value = harrier(server, "execution", "run", NS, "hello", "--input", "size=abc", "--wait")
    assert value.returncode == 2, value.stdout + value.stderr
    assert value.stderr == f"error: invalid inputs for flow {NS}/hello: input 'size': expected an integer, got 'abc'\n"


def test_deploy_refuses_another_namespace_and_an_invalid_flow(server: str, flows: Path, tmp_path: Path) -> None:
    hello = flows / NS / "hello.yml"
    foreign = harrier(server, "flow", "deploy", str(hello), "--namespace", "other")
    assert (foreign.returncode, foreign.stderr) == (
        2, f"error: nothing deployed: 1 file(s) outside namespace other (--namespace)\n  {hello}: namespace is {NS}\n"
    )
    broken = tmp_path / "broken.yml"
    broken.write_text(f"id: broken\nnamespace: {NS}\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Logg\n")
    refused = harrier(server, "flow", "deploy", str(broken))
    assert refused.returncode == 2
    assert refused.stdout.startswith(f"{broken}:5:11: tasks[0].type: unknown task type")
    assert refused.stderr == "error: nothing deployed: fix the problems above first\n"


def test_a_server_that_is_not_there_is_one_line_exit_3() -> None:
    address = f"http://127.0.0.1:{free_port()}"
    for args in (("flow", "list"), ("execution", "run", NS, "hello", "--follow"), ("namespace", "list")):
        done = harrier(address, *args)
        assert (done.returncode, done.stderr) == (
            3, f"error: no Harrier at {address}: start it with `harrier server standalone` or `make run`, "
               "or point --server (HARRIER_SERVER) at it\n"
        )


def test_credentials_missing_or_refused_say_which_variables_to_set(guarded: str) -> None:
    missing = harrier(guarded, "flow", "list")
    assert (missing.returncode, missing.stderr) == (1, f"error: Harrier at {guarded} needs credentials (401): "
                                                      "set HARRIER_TOKEN, or HARRIER_USER and HARRIER_PASSWORD\n")
    refused = harrier(guarded, "flow", "list", HARRIER_TOKEN="wrong")
    assert (refused.returncode, refused.stderr) == (
        1, f"error: Harrier at {guarded} refused the credentials in HARRIER_TOKEN (401)\n"
    )
    allowed = harrier(guarded, "namespace", "list", HARRIER_TOKEN=TOKEN)
    assert allowed.returncode == 0 and allowed.stdout.startswith("NAMESPACE"), allowed.stderr


def test_a_file_input_is_uploaded_from_key_at_path(server: str, flows: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    done = harrier(server, "execution", "run", NS, "upload", "-i", f"doc=@{data}", "--wait", "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["state"]["current"] == "SUCCESS"
    assert body["inputs"]["doc"].startswith("kestra:///") and body["inputs"]["doc"].endswith("/inputs/doc/data.csv")
    missing = harrier(server, "execution", "run", NS, "upload", "-i", f"doc=@{tmp_path / 'nope.csv'}")
    assert (missing.returncode, missing.stderr) == (2, f"error: --input doc: {tmp_path / 'nope.csv'} is not a file\n")


def test_completion_offers_the_servers_namespaces_and_flow_ids(server: str, flows: Path, tmp_path: Path) -> None:
    def complete(line: str) -> set[str]:
        out = tmp_path / "completions"
        env = {"_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line, "COMP_POINT": str(len(line)),
               "_ARGCOMPLETE_STDOUT_FILENAME": str(out), "HARRIER_SERVER": server}
        harrier(None, timeout=30, **env)
        return {word.strip() for word in out.read_text().split("\n")}

    assert complete("harrier flow get cli.d") == {NS, f"{NS}.sub"}
    assert complete(f"harrier execution run {NS} ") == {"fail", "hello", "pause", "upload"}


KV_FLOW = """id: bump
namespace: cli.kv
tasks:
  - id: bump
    type: io.kestra.plugin.core.kv.Set
    key: answer
    value: "{{ kv('count') + 1 }}"
    kvType: NUMBER
"""


def test_kv_set_get_list_delete_and_a_flow_reading_and_writing_them(server: str, tmp_path: Path) -> None:
    assert harrier(server, "kv", "set", "cli.kv", "greeting", "hello").stdout == "greeting set in cli.kv (STRING)\n"
    counted = harrier(server, "kv", "set", "cli.kv", "count", "41", "--type", "number", "--ttl", "PT1H", "--description", "a number")
    assert (counted.returncode, counted.stdout) == (0, "count set in cli.kv (NUMBER)\n"), counted.stderr
    when = harrier(server, "kv", "set", "cli.kv", "when", "2026-01-02T03:04:05+01:00", "--type", "DATETIME", "--json")
    assert json.loads(when.stdout) == {"type": "DATETIME", "value": "2026-01-02T02:04:05Z"}
    assert harrier(server, "kv", "get", "cli.kv", "count").stdout == "41\n"
    assert json.loads(harrier(server, "kv", "get", "cli.kv", "greeting", "--json").stdout) == {"type": "STRING", "value": "hello"}

    listed = harrier(server, "kv", "list", "cli.kv").stdout.splitlines()
    assert listed[0].split() == ["KEY", "DESCRIPTION", "UPDATED", "EXPIRES"]
    assert [line.split()[0] for line in listed[1:]] == ["count", "greeting", "when"]
    assert listed[1].split()[1:3] == ["a", "number"] and len(listed[1].split()) == 5
    assert [e["key"] for e in json.loads(harrier(server, "kv", "list", "cli.kv", "--json").stdout)] == ["count", "greeting", "when"]

    # A flow reads the CLI's value with kv() and writes its own, which the CLI then reads.
    (tmp_path / "bump.yml").write_text(KV_FLOW)
    assert harrier(server, "flow", "deploy", str(tmp_path / "bump.yml"), "--namespace", "cli.kv").returncode == 0
    ran = harrier(server, "execution", "run", "cli.kv", "bump", "--wait")
    assert ran.returncode == 0 and ran.stdout.splitlines()[-1] == "final state: SUCCESS", ran.stdout + ran.stderr
    assert harrier(server, "kv", "get", "cli.kv", "answer").stdout == "42\n"

    assert harrier(server, "kv", "delete", "cli.kv", "greeting").stdout == "greeting deleted from cli.kv\n"
    for args in (("delete", "cli.kv", "greeting"), ("get", "cli.kv", "greeting")):
        gone = harrier(server, "kv", *args)
        assert (gone.returncode, gone.stderr) == (1, "error: no key greeting in namespace cli.kv\n")
    bad = harrier(server, "kv", "set", "cli.kv", "n", "abc", "--type", "NUMBER")
    assert (bad.returncode, bad.stderr) == (2, "error: value: value 'abc' is not a NUMBER\n")
    ttl = harrier(server, "kv", "set", "cli.kv", "n", "1", "--ttl", "1h")
    assert ttl.returncode == 2 and ttl.stderr.startswith("error: header ttl: invalid duration '1h'"), ttl.stderr
