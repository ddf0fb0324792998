"""Fixtures for the scheduler's integration tests: topics with a unique prefix, helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from scheduler_kafka import Cluster, drop_topics  # noqa: E402


@pytest.fixture
def cluster(kafka_bootstrap: str, unique: str) -> Iterator[Cluster]:
    """Harrier's topics under a fresh prefix (4 partitions each), dropped afterwards."""
    found = Cluster.create(kafka_bootstrap, f"sched-{unique}.")
    try:
        yield found
    finally:
        found.close()
        drop_topics(kafka_bootstrap, found.settings.topics.prefix)
