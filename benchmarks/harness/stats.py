"""Percentiles and the summary of one measured step."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.harness.samples import Sample

__all__ = ["StepResult", "percentile", "summarize"]


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values: the smallest value with at least q% at or below it."""
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 < q <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {q}")
    rank = math.ceil(q / 100.0 * len(ordered))
    return ordered[rank - 1]


@dataclass(frozen=True)
class StepResult:
    """One step of a scenario on one system: the offered rate and what came out of it.

    Latencies are in seconds, from the send to the terminal state, over the executions that
    ended in SUCCESS or WARNING; `server_p50_s` and `server_mean_s` are the system's own
    creation-to-end duration when it reports one (the mean is Kestra's avg(state.duration));
    `http_p50_s`/`http_p99_s`, the answer time of the requests that started the executions,
    when HTTP did (`--full`). `achieved_per_min` counts every execution that reached a terminal
    state, per minute, from the first send to the last end.
    """

    scenario: str
    system: str
    target_per_min: float
    duration_s: float
    sent: int
    succeeded: int
    failed: int
    timeouts: int
    achieved_per_min: float
    p50_s: float | None
    p90_s: float | None
    p99_s: float | None
    max_s: float | None
    mean_s: float | None
    server_p50_s: float | None
    max_send_lag_s: float
    server_mean_s: float | None = None
    http_p50_s: float | None = None
    http_p99_s: float | None = None

    @property
    def clean(self) -> bool:
        """True when every execution sent ended successfully in time."""
        return self.sent > 0 and self.failed == 0 and self.timeouts == 0 and self.succeeded == self.sent

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the JSON results."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepResult:
        """The inverse of `to_dict`."""
        return cls(**data)


def summarize(
    scenario: str, system: str, target_per_min: float, duration_s: float, samples: Sequence[Sample]
) -> StepResult:
    """Reduce the samples of one step to its result."""
    ok = sorted(s.latency_s for s in samples if s.succeeded and s.latency_s is not None)
    failed = sum(1 for s in samples if s.ended and not s.succeeded)
    timeouts = sum(1 for s in samples if s.timed_out)
    ended = [s for s in samples if s.ended]
    achieved = 0.0
    if ended:
        first_send = min(s.sent_at for s in samples)
        last_end = max(s.ended_at for s in ended if s.ended_at is not None)
        span = last_end - first_send
        achieved = len(ended) * 60.0 / span if span > 0 else 0.0
    server = sorted(s.server_duration_s for s in samples if s.server_duration_s is not None)
    http = sorted(s.http_s for s in samples if s.http_s is not None)
    return StepResult(
        scenario=scenario,
        system=system,
        target_per_min=target_per_min,
        duration_s=duration_s,
        sent=len(samples),
        succeeded=len(ok),
        failed=failed,
        timeouts=timeouts,
        achieved_per_min=achieved,
        p50_s=percentile(ok, 50) if ok else None,
        p90_s=percentile(ok, 90) if ok else None,
        p99_s=percentile(ok, 99) if ok else None,
        max_s=ok[-1] if ok else None,
        mean_s=sum(ok) / len(ok) if ok else None,
        server_p50_s=percentile(server, 50) if server else None,
        max_send_lag_s=max((s.send_lag_s for s in samples), default=0.0),
        server_mean_s=sum(server) / len(server) if server else None,
        http_p50_s=percentile(http, 50) if http else None,
        http_p99_s=percentile(http, 99) if http else None,
    )
