"""Flow-language benchmark: parse + validate, cached rendering, and context building.

Prints three figures (and, with --write, rewrites the "Flow language" section of
benchmarks/RESULTS.md):

1. parse + validate of a 100-task flow (ms), cold (first time, templates compiled) and warm;
2. renders per second of typical expressions once compiled (the cache keeps them);
3. building the expression context for one task after 2,000 task runs have ended (us),
   with `build_context`, the function the executor uses.

    python -m benchmarks.flows_bench [--write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from harrier.core import validate_text
from harrier.core.expressions import TaskOutputs, build_context, flow_variables, render
from harrier.core.expressions.render import check_syntax, compile_template

__all__ = ["main"]


def hundred_task_flow() -> str:
    """A flow with exactly 100 tasks: 20 If (each with a then and an else task) and 40 others."""
    lines = ["id: bench100", "namespace: benchmarks", "inputs:", "  - id: name", "    type: STRING", "    defaults: World", "tasks:"]
    for i in range(20):
        lines += [
            f"  - id: if-{i}",
            "    type: io.kestra.plugin.core.flow.If",
            '    condition: "{{ inputs.name == \'World\' }}"',
            "    then:",
            f"      - id: then-{i}",
            "        type: io.kestra.plugin.core.log.Log",
            f'        message: "then {i} {{{{ inputs.name }}}}"',
            "    else:",
            f"      - id: else-{i}",
            "        type: io.kestra.plugin.core.output.OutputValues",
            "        values:",
            f'          n: "{{{{ {i} + 1 }}}}"',
        ]
    for i in range(40):
        if i % 2:
            lines += [f"  - id: log-{i}", "    type: io.kestra.plugin.core.log.Log", f'    message: "log {i} {{{{ outputs[\'else-0\'].values.n | default(0) }}}}"']
        else:
            lines += [f"  - id: out-{i}", "    type: io.kestra.plugin.core.output.OutputValues", "    values:", f"      k{i}: v{i}"]
    return "\n".join(lines) + "\n"


def _per_call(function: Callable[[], object], rounds: int, batch: int) -> list[float]:
    """Seconds per call, one figure per round of `batch` calls."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(batch):
            function()
        samples.append((time.perf_counter() - started) / batch)
    return samples


def measure() -> dict[str, float]:
    """Run the three measurements; return figures by name."""
    text = hundred_task_flow()
    compile_template.cache_clear()
    check_syntax.cache_clear()
    started = time.perf_counter()
    flow, problems = validate_text(text, "bench100.yml")
    cold_ms = (time.perf_counter() - started) * 1000
    assert flow is not None and not problems and len(flow.index) == 100, problems
    warm = _per_call(lambda: validate_text(text, "bench100.yml"), rounds=7, batch=10)

    outputs = TaskOutputs()
    outputs.add("concatenate", {"values": {"message": "Hello World"}})
    for i in range(1, 2001):
        outputs.add("output", {"values": {"some": f"value {i}"}}, iteration=[str(i)])
    execution = {"id": "5Kx2cQ0b", "startDate": "2026-01-01T00:00:00Z"}
    info = flow_variables(flow)
    task = flow.task("log-1")
    inputs = {"name": "World"}

    def context() -> dict[str, object]:
        return build_context(flow, execution=execution, inputs=inputs, outputs=outputs, task=task,
                             taskrun={"id": "tr", "value": None, "attemptsCount": 1, "parentId": None}, flow_info=info)

    ctx = context()
    expressions = {
        "output lookup": "{{ outputs.concatenate.values.message }}",
        "string with input": "Hello {{ inputs.name }}!",
        "ForEach output": "{{ outputs.output['1500'].values.some }}",
    }
    figures = {"parse_validate_cold_ms": cold_ms, "parse_validate_warm_ms": statistics.median(warm) * 1000}
    for name, expression in expressions.items():
        assert render(expression, ctx)
        per = _per_call(lambda e=expression: render(e, ctx), rounds=7, batch=20_000)
        figures[f"render {name}"] = 1 / statistics.median(per)
    figures["context_us"] = statistics.median(_per_call(context, rounds=7, batch=50_000)) * 1e6
    figures["context_and_render_us"] = statistics.median(
        _per_call(lambda: render(expressions["ForEach output"], context()), rounds=7, batch=20_000)
    ) * 1e6
    return figures


def report(figures: dict[str, float]) -> str:
    """The figures as a Markdown table."""
    rows = [
        ("parse + validate, 100-task flow, first time (template syntax checked)", f"{figures['parse_validate_cold_ms']:.1f} ms"),
        ("parse + validate, 100-task flow, again (median)", f"{figures['parse_validate_warm_ms']:.1f} ms"),
    ]
    for name, value in figures.items():
        if name.startswith("render "):
            rows.append((f"cached render, {name[7:]} (renders/s)", f"{value:,.0f}"))
    rows += [
        ("context build for a task after 2,000 task runs", f"{figures['context_us']:.2f} us"),
        ("same + one render reading a ForEach output", f"{figures['context_and_render_us']:.2f} us"),
        ("1-minute load average when the run ended (other processes share the 2 cores)", f"{os.getloadavg()[0]:.1f}"),
    ]
    return "| measure | result |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)


def main() -> None:
    """Run, print, and optionally write the results section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the Flow language section of benchmarks/RESULTS.md")
    args = parser.parse_args()
    table = report(measure())
    print(table)
    if args.write:
        from benchmarks.results import write_section

        write_section("benchmarks/RESULTS.md", "Flow language", "python -m benchmarks.flows_bench --write", table)


if __name__ == "__main__":
    main()
