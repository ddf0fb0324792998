"""Headlines, ratios, the JSON round trip, the markdown tables and the plot."""

from __future__ import annotations

from pathlib import Path

from benchmarks.harness.headlines import headline, ratio
from benchmarks.harness.plots import plot_latency_vs_throughput
from benchmarks.harness.report import load_json, markdown, summary_table, write_json
from benchmarks.harness.runner import ScenarioRun
from benchmarks.harness.stats import StepResult
from benchmarks.results import write_section
from benchmarks.scenarios.catalog import by_name


def _step(rate: float, p99: float | None, failed: int = 0, system: str = "harrier",
          scenario: str = "two-tasks") -> StepResult:
    ok = 100 - failed
    return StepResult(scenario, system, rate, 15.0, 100, ok, failed, 0, rate * 0.98,
                      None if p99 is None else p99 / 2, p99, p99, p99, p99, None, 0.001)


LADDER = by_name(["two-tasks"])[0]
SINGLE = by_name(["foreach-100"])[0]


def test_ladder_headline_is_the_highest_clean_rate_under_the_limit() -> None:
    run = ScenarioRun("two-tasks", "harrier", [_step(1000, 0.2), _step(2000, 0.6), _step(4000, 1.7)])
    figure = headline(run, LADDER)
    assert figure.kind == "rate" and figure.value == 2000
    assert "2,000 exec/min at p99 0.60 s" in figure.text


def test_ladder_with_no_clean_step_says_so() -> None:
    run = ScenarioRun("two-tasks", "kestra", [_step(1000, 0.4, failed=3)])
    figure = headline(run, LADDER)
    assert figure.value == 0 and "none under p99 1 s" in figure.text and "3 failed" in figure.text


def test_ratio_is_above_one_when_harrier_does_better() -> None:
    ours = headline(ScenarioRun("two-tasks", "harrier", [_step(4000, 0.3)]), LADDER)
    theirs = headline(ScenarioRun("two-tasks", "kestra", [_step(1000, 0.5)]), LADDER)
    assert ratio(ours, theirs) == "4.00x rate"
    fast = headline(ScenarioRun("foreach-100", "harrier", [_step(0, 1.0, scenario="foreach-100")]), SINGLE)
    slow = headline(ScenarioRun("foreach-100", "kestra", [_step(0, 3.0, scenario="foreach-100")]), SINGLE)
    assert ratio(fast, slow) == "3.00x faster"
    assert ratio(fast, headline(None, SINGLE)) == "n/a"


def test_summary_table_has_harrier_kestra_ratio_and_seed() -> None:
    runs = [ScenarioRun("two-tasks", "harrier", [_step(1000, 0.2)]),
            ScenarioRun("two-tasks", "kestra", error="no Kestra: give --kestra-url")]
    table = summary_table([LADDER], runs)
    row = table.splitlines()[2]
    assert row.count("|") == 6
    assert "1,000 exec/min" in row and "not run: no Kestra" in row and "4,000 exec/min at 0.64 s" in row


def test_json_round_trip(tmp_path: Path) -> None:
    runs = [ScenarioRun("burst-10k", "harrier", [_step(400, 0.3)], tail=_step(400, 0.5)),
            ScenarioRun("two-tasks", "kestra", error="down")]
    write_json(tmp_path / "r.json", runs, {"mode": "quick"})
    meta, loaded = load_json(tmp_path / "r.json")
    assert meta == {"mode": "quick"} and loaded == runs


def test_plot_and_results_section(tmp_path: Path) -> None:
    runs = [ScenarioRun("two-tasks", "harrier", [_step(1000, 0.2), _step(2000, 0.4)]),
            ScenarioRun("two-tasks", "kestra", [_step(1000, 0.5, system="kestra")])]
    png = plot_latency_vs_throughput(runs, tmp_path / "plot.png")
    assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot_latency_vs_throughput([ScenarioRun("x", "harrier", error="down")], tmp_path / "none.png") is None
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Kafka floor\n\nfloor table\n")
    write_section(results, "Scenarios: Harrier and Kestra", "python -m benchmarks.harness --quick",
                  markdown([LADDER], runs, Path("plot.png"), ["kestra: slow"]))
    text = results.read_text()
    assert "## Kafka floor\n\nfloor table" in text
    assert "![latency against throughput](plot.png)" in text and "- kestra: slow" in text


def test_notes_group_a_reason_shared_by_every_scenario_of_a_system() -> None:
    from benchmarks.harness.__main__ import _notes

    runs = [ScenarioRun("two-tasks", "harrier", error="probe timed out"),
            ScenarioRun("five-ifs", "harrier", error="probe timed out"),
            ScenarioRun("two-tasks", "kestra", [_step(250, 0.3, system="kestra")], notes=["3 still running"]),
            ScenarioRun("five-ifs", "kestra", error="refused flow")]
    notes = _notes(runs, ["harrier", "kestra"])
    assert notes[0].startswith("Kestra 1.0.20 from Maven Central on H2")
    assert notes[1:] == ["harrier: not run: probe timed out", "kestra / five-ifs: refused flow",
                         "kestra / two-tasks: 3 still running"]


def test_a_ladder_that_never_broke_is_a_floor_and_so_is_its_ratio() -> None:
    rates = LADDER.steps(quick=True)
    unbroken = ScenarioRun("two-tasks", "harrier", [_step(s.rate_per_min, 0.2) for s in rates])
    figure = headline(unbroken, LADDER, quick=True)
    assert figure.lower_bound and figure.text.startswith(">= 8,000 exec/min") and "the ladder's top" in figure.text
    kestra = headline(ScenarioRun("two-tasks", "kestra", [_step(250, 0.3), _step(1000, 2.0)]), LADDER)
    assert not kestra.lower_bound
    assert ratio(figure, kestra) == ">= 32.00x rate"
    assert ratio(kestra, figure) == "<= 0.03x rate"


def test_a_kestra_with_no_sustained_rung_gives_a_lower_bound_against_its_lowest_rung() -> None:
    ours = headline(ScenarioRun("two-tasks", "harrier", [_step(30, 0.1), _step(60, 0.1), _step(250, 0.2),
                                                         _step(1000, 1.4)]), LADDER)
    theirs = headline(ScenarioRun("two-tasks", "kestra", [_step(30, 1.8, system="kestra")]), LADDER)
    assert theirs.value == 0 and theirs.lowest_offered == 30 and "(30/min: p99 1.80 s" in theirs.text
    cell = ratio(ours, theirs)
    assert cell.startswith("> 8.33x rate") and "Kestra sustained none of its rungs" in cell
    assert "lowest offered rate, 30/min" in cell
    # Harrier's figure being a floor still bounds from below.
    top = headline(ScenarioRun("two-tasks", "harrier", [_step(s.rate_per_min, 0.2) for s in LADDER.steps(True)]),
                   LADDER, quick=True)
    assert top.lower_bound and ratio(top, theirs).startswith("> 266.67x rate")


def test_a_harrier_with_no_sustained_rung_gives_an_upper_bound() -> None:
    ours = headline(ScenarioRun("two-tasks", "harrier", [_step(30, 0.4, failed=2)]), LADDER)
    theirs = headline(ScenarioRun("two-tasks", "kestra", [_step(30, 0.5), _step(60, 0.5), _step(250, 3.0)]), LADDER)
    cell = ratio(ours, theirs)
    assert cell.startswith("< 0.50x rate") and "Harrier sustained none of its rungs" in cell


def test_rate_ratios_that_stay_not_available() -> None:
    nothing = headline(ScenarioRun("two-tasks", "kestra", [_step(30, 1.5)]), LADDER)
    assert ratio(headline(ScenarioRun("two-tasks", "harrier", [_step(30, 1.2)]), LADDER), nothing) == \
        "n/a: neither sustained its lowest rung"
    ours = headline(ScenarioRun("two-tasks", "harrier", [_step(250, 0.2)]), LADDER)
    assert ratio(ours, headline(None, LADDER)) == "n/a"
    assert ratio(ours, headline(ScenarioRun("two-tasks", "kestra", error="refused flow"), LADDER)) == "n/a"
    assert ratio(headline(ScenarioRun("two-tasks", "harrier", error="down"), LADDER), nothing) == "n/a"


def test_summary_row_carries_the_lower_bound() -> None:
    runs = [ScenarioRun("two-tasks", "harrier", [_step(30, 0.1), _step(60, 0.1), _step(250, 0.1), _step(1000, 1.3)]),
            ScenarioRun("two-tasks", "kestra", [_step(30, 1.9, system="kestra")])]
    row = summary_table([LADDER], runs).splitlines()[2]
    assert row.count("|") == 6
    assert "| > 8.33x rate (Kestra sustained none of its rungs: bound against its lowest offered rate, 30/min) |" in row
