"""Latency against throughput: one line per scenario and system, one point per ladder step."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.harness.runner import ScenarioRun

__all__ = ["plot_latency_vs_throughput"]

_STYLE = {"harrier": "-", "kestra": "--"}


def plot_latency_vs_throughput(runs: Sequence[ScenarioRun], path: Path) -> Path | None:
    """Draw p99 (and p50, faint) against the achieved rate; None when no run has a rated step."""
    lines = [r for r in runs if sum(1 for s in r.steps if s.target_per_min > 0 and s.p99_s is not None) >= 1]
    if not lines:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=110)
    # One colour per scenario, one line style per system, so a scenario's two systems sit side by side.
    scenarios = list(dict.fromkeys(run.scenario for run in lines))
    palette = plt.get_cmap("tab10")
    for run in lines:
        # By rate: a climbing ladder runs its bisection rungs out of order.
        steps = sorted((s for s in run.steps if s.target_per_min > 0 and s.p99_s is not None),
                       key=lambda s: s.target_per_min)
        xs = [s.achieved_per_min for s in steps]
        colour = palette(scenarios.index(run.scenario) % 10)
        style = _STYLE.get(run.system, ":")
        ax.plot(xs, [s.p99_s for s in steps], style, color=colour, marker="o",
                label=f"{run.scenario} / {run.system} (p99)")
        ax.plot(xs, [s.p50_s for s in steps], style, color=colour, alpha=0.35)
    ax.set_xlabel("achieved executions per minute")
    ax.set_ylabel("latency, send to terminal state (s, log)")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("Latency against throughput (Harrier solid, Kestra dashed; p50 faint)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
