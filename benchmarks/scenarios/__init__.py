"""The benchmark scenarios: the seeds' tables and Kestra's public benchmark definitions."""

from __future__ import annotations

from benchmarks.scenarios.catalog import FLOWS_DIR, SCENARIOS, Scenario, Seed, Step, by_name

__all__ = ["FLOWS_DIR", "SCENARIOS", "Scenario", "Seed", "Step", "by_name"]
