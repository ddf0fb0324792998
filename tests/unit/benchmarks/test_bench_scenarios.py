"""The scenario catalog: every flow parses with Harrier's own parser, records and steps are as stated."""

from __future__ import annotations

import orjson
import pytest

from benchmarks.harness.exceptions import ScenarioError
from benchmarks.scenarios.catalog import SCENARIOS, by_name
from harrier.core.validation import parse_flow


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_flow_parses_for_harrier(scenario) -> None:  # type: ignore[no-untyped-def]
    flow = parse_flow(scenario.flow_source("harrier"), scenario.flow_file)
    assert (flow.namespace, flow.id) == (scenario.namespace, scenario.flow_id)


def test_realtime_records_are_one_point_six_kb_orders_for_the_jsonata_expression() -> None:
    scenario = by_name(["realtime-jsonata"])[0]
    raw = scenario.record_value("bench42")
    assert len(raw) == 1600
    order = orjson.loads(raw)
    assert order["order_id"] == "bench42"
    assert all({"quantity", "price_per_unit"} <= set(item) for item in order["items"])
    source = scenario.flow_source("kestra")
    assert "bench.realtime-jsonata.kestra" in source and "BENCH_" not in source


def test_quick_suite_is_short() -> None:
    # Offered seconds per system in quick mode, warm-ups included, drains excluded.
    total = 0.0
    for scenario in SCENARIOS:
        warmup = scenario.warmup_step(True)
        total += warmup.duration_s if warmup else 0
        if scenario.method != "single":
            total += sum(step.duration_s for step in scenario.steps(True))
    assert total < 300


def test_unknown_scenarios_are_named() -> None:
    with pytest.raises(ScenarioError, match="nope"):
        by_name(["two-tasks", "nope"])


def test_execution_ladders_start_at_thirty_per_minute_with_ten_sends_per_rung() -> None:
    # Both systems climb the same ladder; its low rungs give Kestra a rung it can sustain here.
    for scenario in by_name(["two-tasks", "sleep-5s", "five-ifs"]):
        for quick in (True, False):
            steps = scenario.steps(quick)
            assert [s.rate_per_min for s in steps[:2]] == [30, 60]
            assert all(s.rate_per_min * s.duration_s / 60 >= 10 for s in steps)
        assert [s.duration_s for s in scenario.steps(True)[:3]] == [20.0, 10.0, 8.0]
