"""Results on disk: JSON (the raw steps), a markdown report, and the RESULTS.md section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from benchmarks.harness.cpu import REST, CpuDelta
from benchmarks.harness.headlines import headline, ratio
from benchmarks.harness.runner import RungCpu, ScenarioRun
from benchmarks.harness.stats import StepResult
from benchmarks.scenarios.catalog import Scenario

__all__ = ["cpu_table", "load_json", "markdown", "steps_table", "summary_table", "write_json"]


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
        cpu = [RungCpu(c["rate_per_min"], CpuDelta.from_dict(c["delta"])) for c in raw.get("cpu", [])]
        runs.append(ScenarioRun(raw["scenario"], raw["system"], steps, tail, raw.get("error"), raw.get("notes", []),
                                raw.get("climbed", False), cpu))
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
    """Every measured step: offered and achieved rate, latency percentiles in seconds, losses;
    with HTTP answer times and the server's mean duration when the executions came over HTTP."""
    http = any(step.http_p50_s is not None for run in runs for step in run.steps)
    extra = " server mean | HTTP p50 | HTTP p99 |" if http else ""
    lines = ["| scenario | system | offered /min | achieved /min | sent | p50 | p90 | p99 | max | "
             f"server p50 |{extra} failed | timeouts | max send lag |",
             "|---|---|---|---|---|---|---|---|---|---|" + "---|" * (3 if http else 0) + "---|---|---|"]
    for run in runs:
        for step in run.steps:
            offered = "sequential" if step.target_per_min == 0 else f"{step.target_per_min:,.0f}"
            cells = (f" {_cell(step.server_mean_s)} | {_cell(step.http_p50_s)} | {_cell(step.http_p99_s)} |"
                     if http else "")
            lines.append(
                f"| {run.scenario} | {run.system} | {offered} | {step.achieved_per_min:,.0f} | {step.sent} | "
                f"{_cell(step.p50_s)} | {_cell(step.p90_s)} | {_cell(step.p99_s)} | {_cell(step.max_s)} | "
                f"{_cell(step.server_p50_s)} |{cells} {step.failed} | {step.timeouts} | {step.max_send_lag_s:.3f} |")
    return "\n".join(lines)


def cpu_table(run: ScenarioRun) -> str:
    """CPU seconds per 1,000 executions of each component, one column per rung (by rate), with
    the share of one core it used during the rung in parentheses."""
    rungs = sorted(run.cpu, key=lambda r: r.rate_per_min)
    roles = sorted({role for r in rungs for role in r.delta.seconds}, key=lambda role: (role == REST, role))
    lines = [f"| {run.system} / {run.scenario}: component (processes) | "
             + " | ".join(f"{r.rate_per_min:,.0f}/min" for r in rungs) + " |",
             "|---|" + "---|" * len(rungs)]
    for role in roles:
        count = max(r.delta.processes.get(role, 0) for r in rungs)
        cells = []
        for r in rungs:
            per = r.delta.per_thousand(role) if role in r.delta.seconds else None
            cells.append("-" if per is None else f"{per:.2f} s ({r.delta.core_share(role):.0%})")
        lines.append(f"| {role}{f' ({count})' if count else ''} | " + " | ".join(cells) + " |")
    totals = []
    for r in rungs:
        ours = sum(v for k, v in r.delta.seconds.items() if k != REST)
        totals.append("-" if not r.delta.executions else
                      f"{ours * 1000 / r.delta.executions:.2f} s ({ours / r.delta.wall_s:.0%})")
    lines.append("| **all listed** | " + " | ".join(totals) + " |")
    lines.append("| executions ended / window | "
                 + " | ".join(f"{r.delta.executions:,} / {r.delta.wall_s:.0f} s" for r in rungs) + " |")
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
    if cpu := [run for run in runs if run.cpu]:
        parts.append("CPU seconds per 1,000 executions ended, per component, during each rung (from its first "
                     "send to its last end; utime + stime from /proc/<pid>/stat), and in parentheses the share of "
                     f"one core it used. \"{REST}\": the machine's busy time not spent by the processes listed "
                     "(other work on a shared box).\n\n" + "\n\n".join(cpu_table(run) for run in cpu))
    return "\n\n".join(parts)
