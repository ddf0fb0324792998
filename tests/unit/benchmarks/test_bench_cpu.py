"""CPU accounting from /proc: parsing, roles in the standalone's process tree, the per-rung arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.harness.cpu import (
    REST,
    CpuDelta,
    CpuSnapshot,
    assign_roles,
    cpu_delta,
    parse_stat,
    parse_system_stat,
    role_of,
    snapshot,
)


def _stat(pid: int, comm: str, ppid: int, utime: int, stime: int) -> str:
    # Fields 1-2, then state (3), ppid (4) ... utime (14), stime (15), cutime (16) ...
    middle = ["S", str(ppid), *["0"] * 9, str(utime), str(stime), "77", "88", *["0"] * 5]
    return f"{pid} ({comm}) " + " ".join(middle) + "\n"


def test_stat_fields_are_counted_from_the_last_parenthesis() -> None:
    assert parse_stat(_stat(42, "python3", 7, 150, 25)) == (7, 175)
    # A command name with spaces and parentheses does not shift the fields; children's time is not counted.
    assert parse_stat(_stat(43, "weird ) (name", 8, 10, 5)) == (8, 15)


def test_machine_busy_ticks_leave_out_idle_and_iowait() -> None:
    text = "cpu  100 5 50 1000 30 2 3 4 0 0\ncpu0 50 2 25 500 15 1 1 2 0 0\n"
    assert parse_system_stat(text) == 100 + 5 + 50 + 2 + 3 + 4
    with pytest.raises(ValueError):
        parse_system_stat("intr 1 2 3\n")


@pytest.mark.parametrize("cmdline, role", [
    ("/w/.venv/bin/python -m harrier.cli.main server standalone --config x.yml", "supervisor"),
    ("/w/.venv/bin/python -m harrier.cli.main server executor --no-ensure-topics", "executor"),
    ("/w/.venv/bin/python -m harrier.cli.main server webserver --no-ensure-topics", "webserver"),
    ("/usr/bin/java -Xmx1g -cp libs/* kafka.Kafka config/server.properties", "broker"),
    ("/usr/lib/jvm/bin/java -Des.path.home=/x org.elasticsearch.bootstrap.Elasticsearch", "elasticsearch"),
    ("/w/.venv/bin/python -c from multiprocessing.forkserver import main; main(3, 4)", None),
    ("/usr/bin/python -m pytest tests/unit server", None),
])
def test_roles_by_command_line(cmdline: str, role: str | None) -> None:
    assert role_of(cmdline) == role


def test_forked_stream_processes_take_the_component_of_their_nearest_named_ancestor() -> None:
    table = {
        1: (0, 5, "/sbin/init"),
        100: (1, 10, "python -m harrier.cli.main server standalone"),
        101: (100, 200, "python -m harrier.cli.main server executor --no-ensure-topics"),
        102: (101, 3, "python -c from multiprocessing.forkserver import main"),
        103: (102, 400, "python -c from multiprocessing.forkserver import main"),
        104: (102, 500, "python -c from multiprocessing.forkserver import main"),
        105: (100, 50, "python -m harrier.cli.main server webserver --no-ensure-topics"),
        200: (1, 900, "java -cp x kafka.Kafka server.properties"),
        300: (1, 70, "python -m pytest"),  # someone else's: not listed
        301: (300, 7, "python -m harrier.cli.main server executor"),  # another Harrier, outside our tree
        400: (1, 60, "python -m benchmarks.harness --full"),
    }
    roles = assign_roles(table, roots=[100], extra={400: "load client"})
    assert roles == {
        100: ("supervisor", 10), 101: ("executor", 200), 102: ("executor", 3), 103: ("executor", 400),
        104: ("executor", 500), 105: ("webserver", 50), 200: ("broker", 900), 400: ("load client", 60),
    }


def test_a_rung_costs_the_difference_per_process_and_the_rest_of_the_machine_is_not_ours() -> None:
    before = CpuSnapshot(10.0, {101: ("executor", 1000), 102: ("executor", 500), 200: ("broker", 3000),
                                300: ("worker", 40)}, machine_ticks=100_000)
    # 101 +300, 102 +100, a new stream process 103 with 50 (all of it in the window), broker +900;
    # 300 exited (its ticks cannot be read any more). The machine was busy 2,000 ticks.
    after = CpuSnapshot(30.0, {101: ("executor", 1300), 102: ("executor", 600), 103: ("executor", 50),
                               200: ("broker", 3900)}, machine_ticks=102_000)
    delta = cpu_delta(before, after, executions=500, clock_ticks=100)
    assert delta.wall_s == 20.0
    assert delta.seconds["executor"] == pytest.approx(4.5)
    assert delta.seconds["broker"] == pytest.approx(9.0)
    assert delta.seconds[REST] == pytest.approx(20.0 - 13.5)
    assert delta.processes == {"executor": 3, "broker": 1, REST: 0}
    assert delta.vanished == (300,)
    assert delta.per_thousand("executor") == pytest.approx(9.0)
    assert delta.core_share("broker") == pytest.approx(0.45)


def test_the_rest_is_never_negative_and_no_execution_gives_no_cost() -> None:
    before = CpuSnapshot(0.0, {1: ("broker", 0)}, machine_ticks=1000)
    after = CpuSnapshot(1.0, {1: ("broker", 120)}, machine_ticks=1100)  # reads are not atomic
    delta = cpu_delta(before, after, executions=0, clock_ticks=100)
    assert delta.seconds[REST] == 0.0
    assert delta.per_thousand("broker") is None
    assert CpuDelta.from_dict(delta.to_dict()) == delta


def test_a_snapshot_of_a_fake_proc(tmp_path: Path) -> None:
    for pid, comm, ppid, cmd in ((10, "python", 1, "python\0-m\0harrier.cli.main\0server\0standalone\0"),
                                 (11, "python", 10, "python\0-m\0harrier.cli.main\0server\0worker\0"),
                                 (12, "bash", 1, "bash\0")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(_stat(pid, comm, ppid, pid * 10, 1))
        (tmp_path / str(pid) / "cmdline").write_text(cmd)
    (tmp_path / "self").mkdir()
    (tmp_path / "stat").write_text("cpu  10 0 10 100 0 0 0 0\n")
    taken = snapshot([10], {}, lambda: 5.0, proc=tmp_path)
    assert taken == CpuSnapshot(5.0, {10: ("supervisor", 101), 11: ("worker", 111)}, 20)
