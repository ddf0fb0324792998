"""The chaos scenarios of the short set at CI size: each must lose nothing, finish nothing twice, index every
log line once and leak no secret, with its faults really applied (``make chaos`` runs them
at full size, one after another). Here they run two side by side, which also makes each
one's faults land on a busier machine."""

from __future__ import annotations

import os

import pytest

from tests.chaos.audit import Audit
from tests.chaos.faults import SHORT_SET, Scenario
from tests.chaos.run import POISONED_FLOWS, QUICK, run_scenarios

pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.timeout(900)]

PARALLEL = 2


# A small disk is a tmpfs the run mounts: root only.
RUNNABLE = tuple(s for s in SHORT_SET if not s.own_disk_mib or os.geteuid() == 0)


@pytest.fixture(scope="module")
def audits(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Audit | Exception]:
    """Every scenario's audit, from one run of them all."""
    return run_scenarios(RUNNABLE, QUICK, kafka_bootstrap, es_url, tmp_path_factory.mktemp("chaos"), PARALLEL)


@pytest.mark.parametrize("scenario", SHORT_SET, ids=[s.name for s in SHORT_SET])
def test_scenario_keeps_every_promise(scenario: Scenario, audits: dict[str, Audit | Exception]) -> None:
    if scenario not in RUNNABLE:
        pytest.skip("mounting the small disk's tmpfs needs root")
    audit = audits[scenario.name]
    if isinstance(audit, Exception):
        raise audit
    print("phases: " + ", ".join(f"{name} {s:.1f}s" for name, s in audit.phases.items()))
    assert audit.faults, "no fault was applied: the load ended first"
    assert audit.problems() == [], "\n".join([*audit.faults, *audit.examples])
    assert audit.executions == QUICK.executions
    assert audit.log_lines > audit.executions  # every execution logs several lines
    if scenario.schedulers:
        assert audit.ticks > 0
    if scenario.webserver:
        assert audit.requests_answered > 0
        assert audit.requests_retried > 0  # the kills left requests unanswered, retried with their key
        assert audit.requests_answered + audit.requests_refused + audit.requests_unanswered == audit.requests
    if scenario.followers:
        assert audit.followers == scenario.followers
        assert audit.followers_reconnected > 0  # the restart broke their streams
        assert audit.follower_lines > audit.followers  # each was due several lines
    if scenario.poison:
        assert audit.poison_dead_lettered == audit.poison > 0
        assert audit.poisoned == len(POISONED_FLOWS)
