"""The load harness: open-loop injection, end-to-end latency, reports and plots.

`python -m benchmarks.harness --quick` runs every scenario of benchmarks/scenarios/ on
Harrier and on Kestra and rewrites the scenario section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

from benchmarks.harness.exceptions import HarnessError, ScenarioError, TargetUnavailable
from benchmarks.harness.pacing import Pace, paced
from benchmarks.harness.samples import Sample, SampleBook
from benchmarks.harness.stats import StepResult, percentile, summarize

__all__ = [
    "HarnessError",
    "Pace",
    "Sample",
    "SampleBook",
    "ScenarioError",
    "StepResult",
    "TargetUnavailable",
    "paced",
    "percentile",
    "summarize",
]
