"""``python -m tests.chaos``: run the fault scenarios and print what the audit found.

    python -m tests.chaos                      # every scenario, full size (2,000 executions each)
    python -m tests.chaos --quick --parallel 3 # the CI size, three side by side as in CI
    python -m tests.chaos --scenario poison    # one (repeatable)

Exit code 0 when every scenario kept every promise.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harrier.infra.stack import Stack
from tests.chaos.audit import Audit
from tests.chaos.faults import SCENARIOS
from tests.chaos.run import FULL, QUICK, run_scenarios

COLUMNS = (
    ("scenario", "scenario"), ("executions", "executions"), ("lost", "lost"), ("duplicated", "finished_twice"),
    ("not SUCCESS", "not_success"), ("task runs", "task_runs"), ("task runs bad", "task_runs_bad"),
    ("results redelivered", "redelivered_results"), ("log lines", "log_lines"), ("log lines lost", "logs_lost"),
    ("log lines twice", "logs_duplicated"), ("secret leaks", "secret_leaks"),
)


def table(audits: list[Audit]) -> Table:
    """The results, one row per scenario."""
    result = Table(title="Harrier under faults")
    for header, _ in COLUMNS:
        result.add_column(header, justify="left" if header == "scenario" else "right")
    for audit in audits:
        result.add_row(*[str(getattr(audit, attribute)) for _, attribute in COLUMNS])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the CI size")
    parser.add_argument("--scenario", action="append", choices=[s.name for s in SCENARIOS])
    parser.add_argument("--parallel", type=int, default=1, help="scenarios run side by side (default 1)")
    parser.add_argument("--work", type=Path, help="where component logs go (default: a temporary folder)")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    stack = Stack()
    stack.up()
    bootstrap = os.environ.get("HARRIER_TEST_KAFKA", stack.kafka.bootstrap)
    es_url = os.environ.get("HARRIER_TEST_ES", stack.elasticsearch.url)
    work = args.work or Path(tempfile.mkdtemp(prefix="harrier-chaos-"))
    console = Console(width=200)
    chosen = [s for s in SCENARIOS if not args.scenario or s.name in args.scenario]
    results = run_scenarios(chosen, size, bootstrap, es_url, work, args.parallel)
    audits = []
    for scenario in chosen:
        console.print(f"[bold]{scenario.name}[/]: {scenario.description}")
        audit = results[scenario.name]
        if isinstance(audit, Exception):
            console.print(f"  [red]did not run to its audit: {audit!r}[/]")
            continue
        audits.append(audit)
        for line in audit.faults:
            console.print(f"  fault: {line}")
        console.print("  phases: " + ", ".join(f"{name} {s:.1f}s" for name, s in audit.phases.items()))
        if audit.ticks:
            console.print(f"  cron ticks: {audit.ticks}, lost {audit.ticks_lost}, doubled {audit.ticks_doubled}")
        if audit.poison:
            console.print(
                f"  poison records: {audit.poison}, dead-lettered {audit.poison_dead_lettered}; "
                f"oversize {audit.poison_oversize}, dead-lettered whole {audit.poison_oversize_whole}"
            )
        if audit.requests:
            console.print(
                f"  requests: {audit.requests}, retried {audit.requests_retried}, answered 2xx "
                f"{audit.requests_answered}, refused "
                f"{audit.requests_refused}, unanswered {audit.requests_unanswered} "
                f"({audit.unanswered_started} of them started an execution anyway)"
            )
        if audit.followers:
            console.print(
                f"  followers: {audit.followers}, reconnected {audit.followers_reconnected}, states or end missed "
                f"{audit.followers_states_wrong}; log lines due {audit.follower_lines}, missed "
                f"{audit.follower_lines_lost}, twice {audit.follower_lines_twice}, out of order "
                f"{audit.followers_out_of_order}; logged before a stream began {audit.follower_lines_before_start}"
            )
        for problem in audit.problems():
            console.print(f"  [red]{problem}[/]")
        for example in audit.examples:
            console.print(f"  {example}", markup=False)
    console.print(table(audits))
    console.print(f"component logs: {work}")
    return 0 if len(audits) == len(chosen) and all(not a.problems() for a in audits) else 1


if __name__ == "__main__":
    sys.exit(main())
