"""The flow corpus: every valid flow parses, every invalid one gives exactly its expected errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harrier.core import Flow, parse_flow, validate_files, validate_text
from harrier.core.tree import walk

HERE = Path(__file__).parent
VALID = sorted((HERE / "valid").glob("*.yml"))
INVALID = sorted((HERE / "invalid").glob("*.yml"))


def test_corpus_is_big_enough():
    assert len(VALID) >= 30
    assert len(INVALID) >= 30


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_flow_parses(path: Path):
    flow, problems = validate_text(path.read_text(), path.name)
    assert problems == []
    assert isinstance(flow, Flow)
    ids = [node.task.id for node in walk(flow)]
    assert len(ids) == len(set(ids)) and len(flow.index) == len(ids)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_flow_reports_exact_errors(path: Path):
    expected = path.with_suffix(".errors").read_text().splitlines()
    flow, problems = validate_text(path.read_text(), path.name)
    assert flow is None
    assert [str(p) for p in problems] == expected


def test_validate_files_reports_unreadable_files(tmp_path: Path):
    missing = tmp_path / "nope.yml"
    problems = validate_files([missing, INVALID[0]])
    assert str(problems[0]).startswith(f"{missing}:1:1: cannot read the file:")
    assert len(problems) > 1 and problems[1].file == str(INVALID[0])


# Verbatim from Kestra: benchmark01-04 from docs/performance/benchmark, the ForEach 160 x Log
# flow from the 0.23 performance post (kestra.io/blogs/performance-improvements-0-23).
KESTRA_SEEDS = {
    "kestra_benchmark01_simple_flow.yml": ["concatenate", "hello"],
    "kestra_benchmark02_complex_flow.yml": None,
    "kestra_benchmark03_big_foreach.yml": ["foreach", "output"],
    "kestra_benchmark04_realtime_kafka_jsonata.yml": ["transform", "hello"],
    "foreach_160_log.yml": ["foreach", "log"],
    "two_tasks.yml": ["first", "second"],
}


@pytest.mark.parametrize("name", sorted(KESTRA_SEEDS))
def test_seed_benchmark_flows(name: str):
    flow, problems = validate_text((HERE / "valid" / name).read_text(), name)
    assert problems == []
    ids = [node.task.id for node in walk(flow)]
    if KESTRA_SEEDS[name] is None:
        assert len(ids) == 15 and sum(1 for i in ids if i.startswith("if")) == 5
    else:
        assert ids == KESTRA_SEEDS[name]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_flow_round_trips_through_its_json_dump(path: Path):
    flow = parse_flow(path.read_text(), path.name)
    dumped = flow.model_dump(mode="json", by_alias=True, exclude_none=True)
    again = parse_flow(yaml.safe_dump(dumped), path.name)
    assert again.model_dump(mode="json", by_alias=True) == flow.model_dump(mode="json", by_alias=True)
    assert [type(n.task) for n in walk(again)] == [type(n.task) for n in walk(flow)]
