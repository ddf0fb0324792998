"""Fixtures for the execution-logic tests: flows from YAML text and the seeds' flow files."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from harrier.core import parse_flow
from harrier.core.flows import Flow

SEEDS = Path(__file__).resolve().parents[2] / "flows" / "valid"


@pytest.fixture
def flow() -> Callable[[str], Flow]:
    """Parse a flow from (dedented) YAML text."""

    def parse(text: str) -> Flow:
        return parse_flow(textwrap.dedent(text), file="test.yml")

    return parse


@pytest.fixture
def seed() -> Callable[[str], Flow]:
    """Parse one of the seeds' flows in tests/flows/valid by file name."""

    def parse(name: str) -> Flow:
        path = SEEDS / name
        return parse_flow(path.read_text(), file=str(path))

    return parse
