"""The whole product from the outside: `harrier server standalone`, then the CLI deploys the
examples and runs flows through the API, as `make run` does (own topics, indices and port)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.standalone import free_port, standalone

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def server(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("standalone")
    with standalone(home, kafka_bootstrap, es_url, tag=f"cli{os.getpid()}x{free_port()}") as url:
        yield url


def _cli(server: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harrier.cli.main", *args, "--server", server],
        capture_output=True, text=True, timeout=120,
    )


def test_deploy_and_run_the_examples_through_the_cli(server: str) -> None:
    deployed = _cli(server, "flow", "deploy", str(ROOT / "examples"), "--namespace", "examples")
    assert deployed.returncode == 0, deployed.stderr
    assert "examples/etl-http-jsonata revision 1 (created)" in deployed.stdout

    # A header, then one line per flow; the listing reads Elasticsearch, filled a moment later.
    expected = 1 + len(list((ROOT / "examples").glob("*.yml")))
    deadline = time.monotonic() + 60
    while len(listed := _cli(server, "flow", "list", "examples").stdout.splitlines()) < expected:
        assert time.monotonic() < deadline, listed
        time.sleep(0.5)
    assert listed[0].split() == ["NAMESPACE", "ID", "REVISION", "DISABLED", "DESCRIPTION"]

    run = _cli(server, "execution", "run", "examples", "etl-http-jsonata", "--follow",
               "--input", f"url={server}/api/v1/flows?namespace=examples")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "-- execution SUCCESS" in run.stdout
    flows = expected - 1
    assert f"INFO  report: {flows} flows in namespace examples" in run.stdout
    assert f'"count": {flows}' in run.stdout


def test_a_failing_flow_exits_non_zero_after_its_errors_branch(server: str) -> None:
    _cli(server, "flow", "deploy", str(ROOT / "examples" / "retry_and_errors.yml"))
    run = _cli(server, "execution", "run", "examples", "retry-and-errors", "--follow")
    assert run.returncode == 1
    assert "worked on attempt 3" in run.stdout
    # One ERROR line per failure: the worker's, not repeated by the executor.
    assert sum(" ERROR broken: " in line for line in run.stdout.splitlines()) == 1, run.stdout
    assert "the errors branch ran" in run.stdout
    assert "finally runs whatever happened" in run.stdout
    assert "final state: FAILED" in run.stdout


def test_bad_input_is_refused_with_the_input_named(server: str) -> None:
    _cli(server, "flow", "deploy", str(ROOT / "examples" / "foreach_fanout.yml"))
    run = _cli(server, "execution", "run", "examples", "foreach-fanout", "--wait", "--input", "size=9999")
    assert run.returncode == 2
    assert run.stderr.startswith("error: invalid inputs for flow examples/foreach-fanout: input 'size'")


def test_a_wait_that_times_out_says_so_with_exit_code_4(server: str) -> None:
    _cli(server, "flow", "deploy", str(ROOT / "tests" / "flows" / "valid" / "pause_resume.yml"))
    run = _cli(server, "execution", "run", "company.team", "pause-resume", "--wait", "--timeout", "2")
    assert run.returncode == 4, run.stdout + run.stderr
    assert run.stderr.startswith("error: timed out after 2 s: execution ")
    assert run.stderr.rstrip().endswith(" is still PAUSED")
    assert "Traceback" not in run.stdout + run.stderr


def test_deploy_says_what_it_did_and_names_a_foreign_namespace(server: str) -> None:
    path = ROOT / "examples" / "scheduled.yml"
    _cli(server, "flow", "deploy", str(path))
    again = _cli(server, "flow", "deploy", str(path))
    assert again.returncode == 0 and "(unchanged) <-" in again.stdout, again.stdout + again.stderr
    foreign = _cli(server, "flow", "deploy", str(path), "--namespace", "other")
    assert foreign.returncode == 2
    assert foreign.stderr == ("error: nothing deployed: 1 file(s) outside namespace other (--namespace)\n"
                              f"  {path}: namespace is examples\n")
