"""``python -m tests.chaos.soak`` (``make soak``): a long run without faults, for leaks and lag.

Every component runs as its own process (webserver, scheduler with its per-second cron flows,
executor, worker, indexer) and the mixed flow's executions come through the webserver (webhook
calls and API creates, alternating) at a steady rate: 10,000 in 30 minutes by default. Every
30 s the soak samples the resident memory of each process (the executor's stream processes
apart) and the lag of each consumer group of the run. It then audits the run as a chaos
scenario is audited (nothing lost, nothing doubled, every log line indexed once) and reports:

- memory: each process's RSS at the first sample after the warm-up share of the load and at
  the end of the load; it fails if one grew by more than ``_GROWTH`` and ``_GROWTH_MIB``;
- lag: the largest lag of each group over the run, and the drain time (from the last send to
  the last execution's end); it fails if the drain took more than ``_DRAIN_LIMIT_S``, which a
  backlog that grew through the run would.

Exit code 0 when every check held.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from harrier.infra.stack import Stack
from tests.chaos.faults import Scenario
from tests.chaos.run import Faults, Size, run_scenario

__all__ = ["Samples", "main"]

_SAMPLE_EVERY_S = 30.0
# Caches, pools and JIT-like warm-up (the flow table, compiled templates, Elasticsearch
# connections) fill during the first part of the run; memory is compared from there on.
_WARM_UP_SHARE = 0.1
_GROWTH = 0.25
_GROWTH_MIB = 64
_DRAIN_LIMIT_S = 60.0
_MIB = 1024 * 1024


@dataclass
class Samples:
    """What the sampler saw: RSS by process name, lag by consumer group, over time."""

    rss: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    lag: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    # Load time (s) of the first sample that counts for memory: after the warm-up.
    warm_from: float = 0.0

    def memory_rows(self) -> list[tuple[str, float, float, bool]]:
        """(process, MiB after the warm-up, MiB at the end, grew too much) for each process."""
        rows = []
        for name, points in sorted(self.rss.items()):
            warm = [rss for at, rss in points if at >= self.warm_from]
            if len(warm) < 2:
                continue  # a process that came and went (a script), or too short a run
            first, last = warm[0], warm[-1]
            grew = last > first * (1 + _GROWTH) and last - first > _GROWTH_MIB * _MIB
            rows.append((name, first / _MIB, last / _MIB, grew))
        return rows


def _processes(f: Faults) -> dict[str, psutil.Process]:
    """Each component's process, and the executor's stream processes by their own names."""
    found: dict[str, psutil.Process] = {}
    for name, component in f.components.by_name.items():
        if not component.alive() or component.process is None:
            continue
        try:
            parent = psutil.Process(component.process.pid)
            found[name] = parent
            for child in parent.children(recursive=True):
                # The supervisor names its stream processes; a worker's script processes are
                # short-lived and named after their interpreter.
                if child.name().startswith(("executor-", "admissions-")):
                    found[f"{name}/{child.name()}"] = child
        except psutil.NoSuchProcess:
            continue
    return found


def _group_lags(admin: AdminClient, prefix: str) -> dict[str, int]:
    """Committed-offset lag of each consumer group that reads the run's topics."""
    listed = admin.list_consumer_groups(request_timeout=10).result()
    lags: dict[str, int] = {}
    watermarks: dict[tuple[str, int], int] = {}
    for group in listed.valid:
        request = [ConsumerGroupTopicPartitions(group.group_id)]
        offsets = admin.list_consumer_group_offsets(request, request_timeout=10)[group.group_id].result()
        ours = [tp for tp in offsets.topic_partitions if tp.topic.startswith(prefix) and tp.offset >= 0]
        if not ours:
            continue
        total = 0
        for tp in ours:
            key = (tp.topic, tp.partition)
            if key not in watermarks:
                watermarks[key] = _end_offset(admin, tp.topic, tp.partition)
            total += max(watermarks[key] - tp.offset, 0)
        lags[group.group_id] = total
    return lags


def _end_offset(admin: AdminClient, topic: str, partition: int) -> int:
    result = admin.list_offsets({TopicPartition(topic, partition): OffsetSpec.latest()}, request_timeout=10)
    return int(next(iter(result.values())).result().offset)


def sampler(samples: Samples) -> Callable[[Faults], None]:
    """The soak's "fault schedule": no fault, a sample every ``_SAMPLE_EVERY_S`` until the load ends."""

    def schedule(f: Faults) -> None:
        admin = AdminClient({"bootstrap.servers": f.bootstrap})
        f.at(_WARM_UP_SHARE)
        samples.warm_from = f.load.elapsed()
        f.note(f"memory compared from {samples.warm_from:.0f}s, after {_WARM_UP_SHARE:.0%} of the load")
        while True:
            at = f.load.elapsed()
            for name, process in _processes(f).items():
                try:
                    samples.rss.setdefault(name, []).append((at, process.memory_info().rss))
                except psutil.NoSuchProcess:
                    continue
            for group, lag in _group_lags(admin, f.prefix).items():
                samples.lag.setdefault(group, []).append((at, lag))
            if f.load.done():
                return
            deadline = time.monotonic() + _SAMPLE_EVERY_S
            while time.monotonic() < deadline and not f.load.done():
                time.sleep(0.5)

    return schedule


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--work", type=Path, help="where component logs go (default: a temporary folder)")
    args = parser.parse_args(argv)
    stack = Stack()
    stack.up()
    samples = Samples()
    scenario = Scenario(
        "soak", "no fault: a steady load for a long time", sampler(samples),
        webserver=True, schedulers=1,
    )
    size = Size(executions=args.executions, rate=args.executions / (args.minutes * 60), outage_s=0.0, drain_s=900.0)
    work = args.work or Path(tempfile.mkdtemp(prefix="harrier-soak-"))
    started = time.monotonic()
    audit = run_scenario(scenario, size, stack.kafka.bootstrap, stack.elasticsearch.url, work)
    drain_s = audit.phases.get("drain", 0.0)
    print(f"soak: {audit.executions} executions at {size.rate * 60:.0f}/min, {(time.monotonic() - started) / 60:.1f} min "
          f"in all; phases: " + ", ".join(f"{name} {s:.0f}s" for name, s in audit.phases.items()))
    print(f"audit: lost {audit.lost}, finished twice {audit.finished_twice}, task runs bad {audit.task_runs_bad}, "
          f"log lines {audit.log_lines} (lost {audit.logs_lost}, twice {audit.logs_duplicated}), "
          f"requests {audit.requests} (answered {audit.requests_answered}, unanswered {audit.requests_unanswered})")
    failures = [*audit.problems()]
    for example in audit.examples[:20]:
        print(f"  {example}")
    print(f"{'process':<28} {'RSS after warm-up MiB':>22} {'RSS at end MiB':>15}")
    for name, first, last, grew in samples.memory_rows():
        print(f"{name:<28} {first:>22.0f} {last:>15.0f}{'  GREW' if grew else ''}")
        if grew:
            failures.append(f"{name} grew from {first:.0f} to {last:.0f} MiB")
    print(f"{'consumer group':<60} {'largest lag':>12} {'at end':>8}")
    for group, points in sorted(samples.lag.items()):
        print(f"{group:<60} {max(lag for _, lag in points):>12} {points[-1][1]:>8}")
    print(f"drain after the last send: {drain_s:.1f}s")
    if drain_s > _DRAIN_LIMIT_S:
        failures.append(f"the backlog took {drain_s:.0f}s to drain after the load")
    for failure in failures:
        print(f"FAILED: {failure}")
    print(f"component logs: {work}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
