"""`python -m benchmarks.harness`: run the scenarios on Harrier and Kestra, write results and plots.

  --quick            the about-ten-minute suite (short steps, fewer rates) that `make bench` runs
  --full             every component up (webserver and indexer too, started here on names of its
                     own), executions through each flow's webhook over HTTP, ladders that climb
                     until they fail then bisect, CPU per component per rung; --rung-s (180)
  --systems          harrier,kestra (default both; a system that is not up is reported as not run)
  --scenarios        names from benchmarks/scenarios/catalog.py (default all)
  --kestra-url       a running Kestra (default $KESTRA_URL); --start-kestra launches one here
  --start-harrier    run `harrier server standalone` for Harrier's turn (else Harrier must be running)
  --write            the RESULTS.md whose "Scenarios" section is rewritten
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks.harness.cpu import CpuSnapshot, snapshot
from benchmarks.harness.exceptions import HarnessError
from benchmarks.harness.headlines import headline
from benchmarks.harness.ladder import Ladder
from benchmarks.harness.plots import plot_latency_vs_throughput
from benchmarks.harness.report import markdown, write_json
from benchmarks.harness.runner import ScenarioRun, run_climb, run_scenario, run_step
from benchmarks.harness.standalone import Standalone
from benchmarks.harness.targets.base import Target
from benchmarks.results import write_section
from benchmarks.scenarios.catalog import Scenario, Step, by_name

SECTION = "Scenarios: Harrier and Kestra"
FULL_SECTION = "Scenarios, full stack through the webhook (--full)"
_PROBE = "two-tasks"
_MODES = {
    "quick": "--quick: executions injected straight onto `executions` (Kestra: its executions API with "
             "wait=true), Harrier's standalone without the webserver and the indexer, fixed ladders of short rungs.",
    "fixed": "the catalog's long fixed ladders: executions injected straight onto `executions`, Harrier's "
             "standalone without the webserver and the indexer.",
    "full": "--full: Harrier's standalone with every component (webserver, indexer, scheduler, executor, "
            "worker) started by the harness on a topic and index prefix of its own, the flow deployed over "
            "the API and every execution started by an HTTP call of its webhook from an asyncio client at "
            "a fixed rate (open loop); latency from the send to the terminal snapshot on execution-states "
            "(read in the harness process). Ladders climb x2 from the scenario's start until a rung fails "
            "(p99 over the limit, any failure or time-out, or the sender behind its schedule), then "
            "bisect 3 times.",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--quick", action="store_true")
    modes.add_argument("--full", action="store_true", help="every component, the webhook, climbing ladders")
    parser.add_argument("--rung-s", type=float, default=180.0, help="--full: seconds per rung (default 180)")
    parser.add_argument("--systems", default="harrier,kestra")
    parser.add_argument("--scenarios", default="")
    parser.add_argument("--config", action="append", default=[], metavar="FILE",
                        help="Harrier settings file(s), as for `harrier server` (HARRIER_* env applies too)")
    parser.add_argument("--kestra-url", default=os.environ.get("KESTRA_URL", ""))
    parser.add_argument("--start-kestra", action="store_true", help="start Kestra for its turn, stop it after")
    parser.add_argument("--start-harrier", action="store_true",
                        help="run `harrier server standalone` (without webserver and indexer) for Harrier's turn")
    parser.add_argument("--probe-s", type=float, default=30.0, help="how long one probe execution may take")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/scenarios/results"))
    parser.add_argument("--write", type=Path, default=None)
    parser.add_argument("--note", action="append", default=[], help="a line added to the report's notes")
    return parser


async def _probe(target: Target, scenario: Scenario, probe_s: float, prefix: str) -> str | None:
    """One execution end to end; the reason it did not end, or None."""
    try:
        await target.prepare(scenario)
        result, _ = await run_step(target, replace(scenario, timeout_s=probe_s), Step(60.0, 1.0),
                                   lambda: f"{prefix}probe", None)
    except HarnessError as exc:
        return str(exc)
    if result.succeeded == 1:
        return None
    if result.timeouts:
        return f"a probe execution did not end within {probe_s:g}s (are the executor and worker running?)"
    return f"a probe execution ended {result.failed and 'in failure' or 'oddly'}"


def _target(system: str, args: argparse.Namespace) -> Target:
    if system == "harrier":
        from benchmarks.harness.targets.harrier import HarrierTarget
        from harrier.config.exceptions import ConfigError
        from harrier.config.loader import load_settings

        try:
            return HarrierTarget(load_settings(args.config))
        except ConfigError as exc:
            raise HarnessError(f"harrier settings: {exc}") from None
    if system == "kestra":
        if not args.kestra_url:
            raise HarnessError("no Kestra: give --kestra-url or --start-kestra (see benchmarks/kestra/README.md)")
        from benchmarks.harness.targets.kestra import KestraTarget

        auth = os.environ.get("KESTRA_BASIC_AUTH")
        return KestraTarget(args.kestra_url, auth=tuple(auth.split(":", 1)) if auth else None)  # type: ignore[arg-type]
    raise HarnessError(f"unknown system {system!r}: use harrier and/or kestra")


async def _run_system(system: str, scenarios: list[Scenario], args: argparse.Namespace, progress: Progress,
                      target: Target | None = None,
                      measure: Callable[[], CpuSnapshot] | None = None) -> list[ScenarioRun]:
    runs: list[ScenarioRun] = []
    prefix = f"b{uuid.uuid4().hex[:6]}"
    try:
        target = target or _target(system, args)
    except HarnessError as exc:
        return [ScenarioRun(s.name, system, error=str(exc)) for s in scenarios]
    try:
        probe_scenario = next(s for s in by_name([_PROBE]))
        if reason := await _probe(target, probe_scenario, args.probe_s, prefix):
            return [ScenarioRun(s.name, system, error=reason) for s in scenarios]
        for scenario in scenarios:
            task = progress.add_task(f"{system:<8} {scenario.name}", total=None)

            def observe(sent: int, ended: int, planned: int, task: int = task) -> None:
                progress.update(task, completed=ended, total=planned)

            try:
                if args.full:
                    runs.append(await run_climb(target, scenario, Ladder(scenario.full_start_per_min), args.rung_s,
                                                prefix, observe, measure))
                else:
                    runs.append(await run_scenario(target, scenario, args.quick, prefix, observe))
            except HarnessError as exc:
                runs.append(ScenarioRun(scenario.name, system, error=str(exc)))
            progress.update(task, description=f"{system:<8} {scenario.name} done")
            progress.console.print(f"{system} / {scenario.name}: {headline(runs[-1], scenario, args.quick).text}")
    finally:
        await target.close()
    return runs


def _measure(roots: list[int]) -> Callable[[], CpuSnapshot]:
    """CPU of the processes under `roots`, the stack's java processes, and this one (the load client)."""
    me = os.getpid()
    return lambda: snapshot(roots, {me: "load client"}, time.monotonic)


async def _run_started_kestra(scenarios: list[Scenario], args: argparse.Namespace,
                              progress: Progress) -> list[ScenarioRun]:
    """Start Kestra for its turn only and stop it after: idle, it still polls its queue and
    would take CPU from the system measured before it."""
    from harrier.infra.exceptions import InfraError
    from harrier.infra.kestra import KestraServer

    server = KestraServer.from_env()
    try:
        server.up(fresh=True)
    except InfraError as exc:
        server.down()
        return [ScenarioRun(s.name, "kestra", error=f"could not start: {exc}") for s in scenarios]
    args.kestra_url = server.url
    try:
        return await _run_system("kestra", scenarios, args, progress, measure=_measure([]) if args.full else None)
    finally:
        server.down()


async def _run_started_harrier(scenarios: list[Scenario], args: argparse.Namespace,
                               progress: Progress) -> list[ScenarioRun]:
    """Run Harrier's components as a newcomer does, for Harrier's turn only; its log goes to a temp file.
    `--full`: every component, on names of its own, driven through the webhook."""
    standalone = Standalone(args.config, full=args.full)
    progress.console.print(f"harrier: `harrier server standalone` logs to {standalone.log_path}")
    pid = standalone.start()
    try:
        if not args.full:
            return await _run_system("harrier", scenarios, args, progress)
        from benchmarks.harness.targets.states import StatesObserver
        from benchmarks.harness.targets.webhook import WebhookTarget

        try:
            standalone.wait_ready()
        except HarnessError as exc:
            return [ScenarioRun(s.name, "harrier", error=str(exc)) for s in scenarios]
        states = StatesObserver(standalone.settings.kafka.bootstrap_servers, standalone.topic("execution-states"))
        target = WebhookTarget(standalone.url, states)
        return await _run_system("harrier", scenarios, args, progress, target, _measure([pid]))
    finally:
        standalone.stop()


def _mode(args: argparse.Namespace) -> str:
    return "quick" if args.quick else "full" if args.full else "fixed"


async def _main(args: argparse.Namespace) -> int:
    scenarios = by_name([s for s in args.scenarios.split(",") if s])
    systems = [s for s in args.systems.split(",") if s]
    mode = _mode(args)
    runs: list[ScenarioRun] = []
    if args.full:
        runs = [ScenarioRun(s.name, system, error=f"not run in --full: {reason}")
                for s in scenarios if (reason := s.full_reason()) for system in systems]
        scenarios = [s for s in scenarios if s.full_reason() is None]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        for system in systems if scenarios else ():
            if system == "kestra" and args.start_kestra:
                runs.extend(await _run_started_kestra(scenarios, args, progress))
            elif system == "harrier" and (args.start_harrier or args.full):
                runs.extend(await _run_started_harrier(scenarios, args, progress))
            else:
                runs.extend(await _run_system(system, scenarios, args, progress))
    shown_scenarios = by_name([s for s in args.scenarios.split(",") if s])
    write_json(args.out / f"scenarios-{mode}.json", runs,
               {"mode": mode, "systems": systems, "scenarios": [s.name for s in shown_scenarios],
                "rung_s": args.rung_s if args.full else None})
    plot = plot_latency_vs_throughput(runs, args.out / f"latency_vs_throughput-{mode}.png")
    notes = [f"Mode: {_MODES[mode]}" + (f" Rungs of {args.rung_s:g} s." if args.full else ""),
             *args.note, *_notes(runs, systems, args.full)]
    body = markdown(shown_scenarios, runs, plot, notes, args.quick)
    (args.out / f"scenarios-{mode}.md").write_text(body + "\n")
    if args.write:
        shown = plot.relative_to(args.write.parent) if plot and plot.is_relative_to(args.write.parent) else plot
        write_section(args.write, FULL_SECTION if args.full else SECTION,
                      "python -m benchmarks.harness " + " ".join(sys.argv[1:]),
                      markdown(shown_scenarios, runs, shown, notes, args.quick))
    Console().print(body)
    return 0


def _notes(runs: list[ScenarioRun], systems: list[str], full: bool = False) -> list[str]:
    """Why runs did not happen (one line per system when the reason is the same everywhere), what they left."""
    notes = []
    if "kestra" in systems:
        notes.append("Kestra 1.0.20 from Maven Central on H2, started by harrier/infra/kestra.py through "
                     "benchmarks/kestra/launcher (its cli, webserver, Postgres module and plugins are not on "
                     "Maven Central): see benchmarks/kestra/README.md. Both systems share the same 2 cores.")
        if full:
            notes.append("Kestra in --full: the launcher does not serve Kestra's webhook (its webserver module is "
                         "not on Maven Central), so Kestra's rungs call POST /api/v1/main/executions/{namespace}/"
                         "{id}?wait=true instead, and its HTTP time is its end-to-end time; the same climbing ladder.")
    for system in systems:
        errors = [r for r in runs if r.system == system and r.error]
        reasons = {r.error for r in errors}
        if errors and len(errors) == sum(1 for r in runs if r.system == system) and len(reasons) == 1:
            notes.append(f"{system}: not run: {errors[0].error}")
        else:
            notes += [f"{r.system} / {r.scenario}: {r.error}" for r in errors]
    notes += [f"{r.system} / {r.scenario}: {note}" for r in runs for note in r.notes]
    return notes


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run."""
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_main(args))
    except HarnessError as exc:
        Console(stderr=True).print(f"error: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
