"""Results on disk: JSON (the raw steps), a markdown report, and the RESULTS.md section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from benchmarks.harness.headlines import headline, ratio
from benchmarks.harness.runner import ScenarioRun
from benchmarks.harness.stats import StepResult
from benchmarks.scenarios.catalog import Scenario

__all__ = ["load_json", "markdown", "steps_table", "summary_table", "write_json"]


def write_json(path: Path, runs: Sequence[ScenarioRun], meta: dict[str, Any]) -> None:
    """Every run with all its steps, plus what was run and where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({"meta": meta, "runs": [asdict(r) for r in runs]}, option=orjson.OPT_INDENT_2))


def load_json(path: Path) -> tuple[dict[str, Any], list[ScenarioRun]]:
    """The inverse of `write_json`."""
    data = orjson.loads(path.read_bytes())
    runs = []
    for raw in data["runs"]:
        steps = [StepResult.from_dict(s) for s in raw["steps"]]
        tail = StepResult.from_dict(raw["tail"]) if raw.get("tail") else None
        runs.append(ScenarioRun(raw["scenario"], raw["system"], steps, tail, raw.get("error"), raw.get("notes", [])))
    return data["meta"], runs


def _find(runs: Sequence[ScenarioRun], scenario: str, system: str) -> ScenarioRun | None:
    return next((r for r in runs if r.scenario == scenario and r.system == system), None)


def summary_table(scenarios: Sequence[Scenario], runs: Sequence[ScenarioRun], quick: bool = True) -> str:
    """One row per scenario: Harrier, Kestra (same run), ratio, the seed's published figure."""
    lines = ["| scenario | Harrier | Kestra (same run) | ratio | seed (Kestra 1.0.1 unless named, published) |",
             "|---|---|---|---|---|"]
    for scenario in scenarios:
        ours = headline(_find(runs, scenario.name, "harrier"), scenario, quick)
        theirs = headline(_find(runs, scenario.name, "kestra"), scenario, quick)
        seed = scenario.seed.text if scenario.seed else "-"
        lines.append(f"| {scenario.title} | {ours.text} | {theirs.text} | {ratio(ours, theirs)} | {seed} |")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def steps_table(runs: Sequence[ScenarioRun]) -> str:
    """Every measured step: offered and achieved rate, latency percentiles in seconds, losses."""
    lines = ["| scenario | system | offered /min | achieved /min | sent | p50 | p90 | p99 | max | "
             "server p50 | failed | timeouts | max send lag |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for run in runs:
        for step in run.steps:
            offered = "sequential" if step.target_per_min == 0 else f"{step.target_per_min:,.0f}"
            lines.append(
                f"| {run.scenario} | {run.system} | {offered} | {step.achieved_per_min:,.0f} | {step.sent} | "
                f"{_cell(step.p50_s)} | {_cell(step.p90_s)} | {_cell(step.p99_s)} | {_cell(step.max_s)} | "
                f"{_cell(step.server_p50_s)} | {step.failed} | {step.timeouts} | {step.max_send_lag_s:.3f} |")
    return "\n".join(lines)


def markdown(scenarios: Sequence[Scenario], runs: Sequence[ScenarioRun], plot: Path | None,
             notes: Sequence[str] = (), quick: bool = True) -> str:
    """The scenario report: summary, notes, plot, then every step."""
    parts = [summary_table(scenarios, runs, quick)]
    if notes:
        parts.append("\n".join(f"- {note}" for note in notes))
    if plot is not None:
        parts.append(f"![latency against throughput]({plot.as_posix()})")
    parts.append("Latencies in seconds, from the send to the terminal state "
                 "(server p50: the system's own creation-to-end duration).\n\n" + steps_table(runs))
    return "\n\n".join(parts)
