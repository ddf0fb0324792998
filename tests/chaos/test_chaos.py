"""The chaos scenarios at CI size: each must lose nothing, finish nothing twice, index every
log line once and leak no secret, with its faults really applied (``make chaos`` runs them
at full size)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.faults import SCENARIOS, Scenario
from tests.chaos.run import QUICK, run_scenario

pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.timeout(900)]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_keeps_every_promise(scenario: Scenario, kafka_bootstrap: str, es_url: str, tmp_path: Path) -> None:
    audit = run_scenario(scenario, QUICK, kafka_bootstrap, es_url, tmp_path)
    assert audit.faults, "no fault was applied: the load ended first"
    assert audit.problems() == [], "\n".join([*audit.faults, *audit.examples])
    assert audit.executions == QUICK.executions
    assert audit.log_lines > audit.executions  # every execution logs several lines
    if scenario.schedulers:
        assert audit.ticks > 0
    if scenario.poison:
        assert audit.poison_dead_lettered == audit.poison > 0
