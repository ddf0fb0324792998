"""Tables and values as the CLI prints them when piped: one row a line, no trailing blanks, UTC."""

from __future__ import annotations

import pytest

from harrier.cli.follow import report
from harrier.cli.logs import log_line
from harrier.cli.output import duration_text, print_table, time_text


def test_a_piped_table_keeps_each_row_on_one_line_and_its_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    long_id = "x" * 150
    print_table(["ID", "STATE", "VALUE"], [[long_id, "SUCCESS", "[1, 2]"], ["b", "FAILED", ""]], state_column="STATE")
    assert capsys.readouterr().out.splitlines() == [
        "ID" + " " * 150 + "STATE    VALUE",
        long_id + "  SUCCESS  [1, 2]",
        "b" + " " * 151 + "FAILED",
    ]


@pytest.mark.parametrize(("iso", "text"), [
    ("PT0.0252S", "25ms"), ("PT3.256S", "3.26s"), ("PT12.345S", "12s"), ("PT1M2.5S", "1m 2.5s"), ("PT2H", "2h"),
    ("P1DT3M", "1d 3m"), ("PT0S", "0ms"), (None, ""), ("not a duration", "not a duration"),
])
def test_durations_read_as_people_say_them(iso: str | None, text: str) -> None:
    assert duration_text(iso) == text


def test_times_are_utc_to_the_second() -> None:
    assert time_text("2026-12-03T17:52:05.123456Z") == "2026-12-03T17:52:05Z"
    assert time_text(None) == ""


def test_a_log_entry_is_timestamp_level_task_message_with_continuations_indented() -> None:
    entry = {"timestamp": "2026-12-03T17:52:05.123Z", "level": "INFO", "taskId": "report", "message": "a\nb"}
    assert log_line(entry) == "2026-12-03T17:52:05.123Z INFO  report: a\n    b"
    assert log_line({**entry, "taskId": None, "level": "ERROR"}).startswith("2026-12-03T17:52:05.123Z ERROR execution: ")


def _execution(state: str, **extra: object) -> dict[str, object]:
    return {"id": "e1", "namespace": "n", "flowId": "f", "state": {"current": state, "histories": []}, **extra}


def test_the_report_of_an_end_prints_state_error_and_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert report(_execution("SUCCESS", outputs={"count": 5}), as_json=False) == 0
    assert capsys.readouterr().out == 'final state: SUCCESS\noutputs:\n{\n  "count": 5\n}\n'
    assert report(_execution("FAILED", error="task boom: exit 2"), as_json=False) == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("final state: FAILED\n", "error: task boom: exit 2\n")


def test_the_json_report_is_the_body_as_it_came(capsys: pytest.CaptureFixture[str]) -> None:
    assert report(_execution("WARNING"), as_json=True) == 0
    assert '"current": "WARNING"' in capsys.readouterr().out


def test_follow_prints_task_runs_as_they_end_a_parent_after_its_children(capsys: pytest.CaptureFixture[str]) -> None:
    from harrier.cli.follow import _Printer

    def run(run_id: str, task: str, end: str | None, parent: str | None = None, value: str | None = None) -> dict:
        state = {"current": "SUCCESS" if end else "RUNNING", "endDate": end, "duration": "PT0.04S"}
        return {"id": run_id, "taskId": task, "value": value, "parentTaskRunId": parent, "state": state}

    printer = _Printer()
    printer.execution(_execution("RUNNING", taskRunList=[run("p", "each", None)]))
    printer.execution(_execution("RUNNING", taskRunList=[
        run("p", "each", "2026-12-03T18:15:34.2Z"), run("a", "square", "2026-12-03T18:15:34.2Z", "p", "2"),
        run("b", "square", "2026-12-03T18:15:34Z", "p", "1"),
    ]))
    printer.execution(_execution("SUCCESS", taskRunList=[run("p", "each", "2026-12-03T18:15:34.2Z")]))
    assert capsys.readouterr().out.splitlines() == [
        "-- execution RUNNING", "-- task square[1] SUCCESS in 40ms", "-- task square[2] SUCCESS in 40ms",
        "-- task each SUCCESS in 40ms", "-- execution SUCCESS",
    ]
