"""The pure parts of the Harrier and Kestra targets: snapshot matching and Kestra's durations."""

from __future__ import annotations

import pytest

from benchmarks.harness.targets.harrier import candidate_keys, terminal_state
from benchmarks.harness.targets.kestra import iso_duration_s


def test_terminal_state_of_a_snapshot() -> None:
    assert terminal_state({"state": "SUCCESS"}) == "SUCCESS"
    assert terminal_state({"state": {"current": "FAILED"}}) == "FAILED"
    assert terminal_state({"state": "RUNNING"}) is None
    assert terminal_state({}) is None


def test_candidates_are_the_id_then_the_trigger_record_key() -> None:
    assert candidate_keys("b0000001", {}) == ("b0000001",)
    by_trigger = {"trigger": {"variables": {"key": "b0000002", "value": {}}}}
    assert candidate_keys("3kTf0xZ", by_trigger) == ("3kTf0xZ", "b0000002")
    assert candidate_keys("3kTf0xZ", {"trigger": {"key": "b0000003"}}) == ("3kTf0xZ", "b0000003")
    assert candidate_keys("3kTf0xZ", {"trigger": None}) == ("3kTf0xZ",)


@pytest.mark.parametrize("text, seconds", [
    ("PT0.64S", 0.64), ("PT1M2.5S", 62.5), ("PT1H", 3600), ("P1DT1S", 86401), ("PT0S", 0), (1.828181, 1.828181),
])
def test_kestra_durations(text: str | float, seconds: float) -> None:
    assert iso_duration_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [None, "", "1.5", "PTxS"])
def test_malformed_durations_are_none(text: str | None) -> None:
    assert iso_duration_s(text) is None
