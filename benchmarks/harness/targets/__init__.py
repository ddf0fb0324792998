"""Systems under test: Harrier (Kafka commands in, execution-states out) and Kestra (HTTP API)."""

from __future__ import annotations

from benchmarks.harness.targets.base import Target

__all__ = ["Target"]
