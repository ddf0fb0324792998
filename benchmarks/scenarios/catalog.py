"""Scenario definitions: which flow, how it is driven, and the published figure it is compared to.

Methods, after kestra-io/benchmarks (a warm-up run, then fixed-rate steps of a few minutes,
upward; its scripts start at 250 exec/min, below the seeds' 1,000):
  ladder  a warm-up, then one step per rate, stopping after the first step whose p99 passes
          `p99_limit_s` or that loses executions; the figure is the highest clean rate.
          The execution ladders start lower than Kestra's scripts, at 30 and 60 exec/min, for
          both systems (one ladder, climbed the same way by each): on this 2-core box Kestra
          had no rung under the limit at 250 (175 for 5 x If), which left no figure to divide
          by. A system that sustains none of the rungs gets a bound against the lowest one
          (benchmarks/harness/headlines.py). A rung lasts `step_s`, or long enough to send
          `min_sends` executions if that is longer (the quick 30/min rung: 20 s, not 8 s);
  single  `repeats` executions one after another; the figure is the median duration;
  burst   `total` executions spread evenly over `burst_s`; the figure is the p99 of the
          last tenth sent (the ones that queued behind all the others).
`--quick` uses the `quick_*` values so the whole suite fits in about ten minutes: 8 s rungs
(12 s before the low rungs were added, which would have made a system that climbs every
ladder offer load for 346 s instead of 274 s; now 296 s).
`--full` runs only the ladders whose flow has a Webhook trigger (`webhook_key`) and that set
`full_start_per_min`: no fixed rates, the ladder climbs from there until it fails and then
bisects (benchmarks/harness/ladder.py); the warm-up is at most one rung long.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml

from benchmarks.harness.exceptions import ScenarioError

__all__ = ["FLOWS_DIR", "SCENARIOS", "Scenario", "Seed", "Step", "by_name"]

FLOWS_DIR = Path(__file__).resolve().parent.parent / "flows"


@dataclass(frozen=True)
class Seed:
    """A figure Kestra published: 1.0.1 on 4 vCPU / 16 GB with Kafka and Elasticsearch elsewhere,
    unless its text names another release."""

    text: str
    rate_per_min: float | None = None
    latency_s: float | None = None


@dataclass(frozen=True)
class Step:
    """One paced run: `rate_per_min` for `duration_s` seconds."""

    rate_per_min: float
    duration_s: float


@dataclass(frozen=True)
class Scenario:
    """A flow and the way the harness drives it."""

    name: str
    title: str
    flow_file: str
    method: Literal["ladder", "single", "burst"]
    rates: tuple[float, ...] = ()
    quick_rates: tuple[float, ...] = ()
    step_s: float = 180.0
    quick_step_s: float = 8.0
    min_sends: int = 0
    warmup: Step | None = None
    quick_warmup: Step | None = None
    p99_limit_s: float = 1.0
    repeats: int = 5
    quick_repeats: int = 2
    total: int = 0
    quick_total: int = 0
    burst_s: float = 300.0
    quick_burst_s: float = 30.0
    inputs: dict[str, Any] = field(default_factory=dict)
    injection: Literal["execution", "kafka-record"] = "execution"
    record_bytes: int = 1600
    timeout_s: float = 60.0
    seed: Seed | None = None
    full_start_per_min: float = 0.0

    @cached_property
    def _flow(self) -> tuple[str, dict[str, Any]]:
        path = FLOWS_DIR / self.flow_file
        try:
            text = path.read_text()
            data = yaml.safe_load(text)
        except (OSError, yaml.YAMLError) as exc:
            raise ScenarioError(f"{path}: {exc}") from None
        if not isinstance(data, dict) or not data.get("id") or not data.get("namespace"):
            raise ScenarioError(f"{path}: a flow needs top-level 'id' and 'namespace'")
        return text, data

    @property
    def namespace(self) -> str:
        """The flow's namespace."""
        return str(self._flow[1]["namespace"])

    @property
    def flow_id(self) -> str:
        """The flow's id."""
        return str(self._flow[1]["id"])

    @property
    def webhook_key(self) -> str | None:
        """The key of the flow's first Webhook trigger (what `--full` calls), if it has one."""
        for trigger in self._flow[1].get("triggers") or ():
            if isinstance(trigger, dict) and str(trigger.get("type", "")).endswith(".Webhook") and trigger.get("key"):
                return str(trigger["key"])
        return None

    def flow_source(self, system: str = "harrier", bootstrap: str = "127.0.0.1:9092") -> str:
        """The flow's YAML as deployed to `system` (realtime flows get that system's topic and broker)."""
        text = self._flow[0]
        if self.injection == "kafka-record":
            text = text.replace("BENCH_TOPIC", self.record_topic(system)).replace("BENCH_BOOTSTRAP", bootstrap)
        return text

    def record_topic(self, system: str) -> str:
        """The source topic of a realtime scenario, one per system so each sees only its records."""
        return f"bench.{self.name}.{system}"

    def record_value(self, key: str) -> bytes:
        """A JSON order of about `record_bytes` bytes, shaped like Kestra's products-*.json."""
        items: list[dict[str, Any]] = []
        order: dict[str, Any] = {
            "order_id": key,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address": {"city": "London", "country": "UK", "street": "12 St James's Square"},
            "items": items,
        }
        while len(orjson.dumps(order)) < self.record_bytes - 200:
            n = len(items)
            items.append({"product_id": f"P{n:05d}", "name": f"product {n}", "quantity": n % 5 + 1,
                          "price_per_unit": round(3.5 + n, 2)})
        order["note"] = ""
        order["note"] = "x" * max(0, self.record_bytes - len(orjson.dumps(order)))
        return orjson.dumps(order)

    def steps(self, quick: bool) -> list[Step]:
        """The measured steps of this scenario (the ladder's rates, or the burst's one step)."""
        if self.method == "burst":
            total, span = (self.quick_total, self.quick_burst_s) if quick else (self.total, self.burst_s)
            return [Step(total * 60.0 / span, span)]
        if self.method == "single":
            return [Step(1.0, 60.0) for _ in range(self.quick_repeats if quick else self.repeats)]
        rates = self.quick_rates if quick else self.rates
        step_s = self.quick_step_s if quick else self.step_s
        return [Step(rate, max(step_s, self.min_sends * 60.0 / rate)) for rate in rates]

    def warmup_step(self, quick: bool) -> Step | None:
        """The unmeasured run before the steps, if any."""
        return self.quick_warmup if quick else self.warmup

    def full_reason(self) -> str | None:
        """Why `--full` does not run this scenario, or None when it does."""
        if self.method != "ladder" or self.injection != "execution":
            return "--full drives executions through a flow's webhook: only the execution ladders run"
        if not self.full_start_per_min:
            return "no full_start_per_min in benchmarks/scenarios/catalog.py"
        if not self.webhook_key:
            return f"{self.flow_file} has no Webhook trigger with a key"
        return None

    def rung(self, rate_per_min: float, rung_s: float) -> Step:
        """A `--full` rung at `rate_per_min`: `rung_s` long, or long enough for `min_sends`."""
        return Step(rate_per_min, max(rung_s, self.min_sends * 60.0 / rate_per_min))

    def full_warmup(self, rung_s: float) -> Step | None:
        """The `--full` warm-up: the scenario's warm-up, at most one rung long."""
        return None if self.warmup is None else Step(self.warmup.rate_per_min, min(self.warmup.duration_s, rung_s))


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="two-tasks", title="2-task flow (OutputValues + Log)", flow_file="two_tasks.yml", method="ladder",
        rates=(30, 60, 250, 500, 1000, 1500, 2000, 3000, 4000, 4500, 6000, 8000),
        quick_rates=(30, 60, 250, 1000, 2000, 4000, 8000), min_sends=10,
        warmup=Step(250, 300), quick_warmup=Step(250, 30), p99_limit_s=1.0,
        seed=Seed("4,000 exec/min at 0.64 s (4,500 at 4 s)", 4000, 0.64), full_start_per_min=1000,
    ),
    Scenario(
        name="sleep-5s", title="single Sleep 5 s task", flow_file="sleep_5s.yml", method="ladder",
        rates=(30, 60, 250, 500, 1000, 1500, 2000, 3000, 4000), quick_rates=(30, 60, 250, 750, 1500, 3000),
        min_sends=10,
        warmup=Step(250, 60), quick_warmup=None, p99_limit_s=6.0, timeout_s=90.0,
        seed=Seed("1,500 exec/min at 5.1 s (JDBC)", 1500, 5.1), full_start_per_min=500,
    ),
    Scenario(
        name="five-ifs", title="5 x If flow", flow_file="five_ifs.yml", method="ladder",
        rates=(30, 60, 175, 350, 700, 1000, 1500, 2000, 3000), quick_rates=(30, 60, 175, 350, 700, 1400, 2800),
        min_sends=10,
        warmup=Step(250, 300), quick_warmup=Step(175, 5), p99_limit_s=2.5, inputs={"condition": True},
        seed=Seed("700 exec/min at 2.2 s", 700, 2.2), full_start_per_min=350,
    ),
    Scenario(
        name="foreach-100", title="ForEach 100 x OutputValues, one execution", flow_file="foreach_100.yml",
        method="single", repeats=5, quick_repeats=2, timeout_s=120.0, seed=Seed("~9 s", None, 9.0),
    ),
    Scenario(
        name="foreach-160-log", title="ForEach 160 x Log, one execution", flow_file="foreach_160_log.yml",
        method="single", repeats=5, quick_repeats=2, timeout_s=120.0,
        seed=Seed("13 s (Kestra 0.23; 44 s in 0.22)", None, 13.0),
    ),
    # No 30 and 60 rungs here: Kestra cannot run this scenario on this box (its kafka and JSONata
    # plugins are not on Maven Central), and Harrier's ladder starts at the seed's 1,000.
    Scenario(
        name="realtime-jsonata", title="Kafka realtime trigger + JSONata + OutputValues, 1.6 KB records",
        flow_file="realtime_jsonata.yml", method="ladder", injection="kafka-record",
        rates=(1000, 2000, 3000, 4000, 6000, 8000), quick_rates=(1000, 4000, 8000),
        warmup=Step(250, 60), quick_warmup=Step(500, 5), p99_limit_s=1.5,
        seed=Seed("4,000 exec/min at 1.4 s", 4000, 1.4),
    ),
    Scenario(
        name="burst-10k", title="10,000 executions over 5 minutes (2-task flow)", flow_file="two_tasks.yml",
        method="burst", total=10_000, burst_s=300.0, quick_total=1_000, quick_burst_s=30.0, timeout_s=120.0,
    ),
    Scenario(
        name="log-heavy", title="one task logging 100,000 lines", flow_file="log_heavy.yml",
        method="single", repeats=3, quick_repeats=1, timeout_s=300.0,
    ),
)


def by_name(names: list[str] | None) -> list[Scenario]:
    """The named scenarios in catalog order (all of them for None); unknown names are an error."""
    if not names:
        return list(SCENARIOS)
    known = {s.name: s for s in SCENARIOS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ScenarioError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [s for s in SCENARIOS if s.name in names]
