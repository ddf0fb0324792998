"""YAML loading with positions, durations, and problem formatting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from harrier.core.durations import format_duration, parse_duration
from harrier.core.exceptions import FlowValidationError, Problem
from harrier.core.parsing import MAX_NODES, format_path, load_document


def test_marks_are_one_based_and_per_path():
    document = load_document("id: a\ntasks:\n  - id: x\n    type: Log\n", "f.yml")
    assert document.marks.of_value(("tasks", 0, "type")) == (4, 11)
    assert document.marks.of_key(("tasks", 0, "type")) == (4, 5)
    assert document.marks.of_value(("tasks", 0, "missing", 3)) == (3, 5)


def test_yaml_12_scalars():
    data = load_document("a: yes\nb: off\nc: 12:30\nd: 2024-01-31\ne: true\nf: 7\ng: 1.5\nh: null\n").data
    assert data == {"a": "yes", "b": "off", "c": "12:30", "d": "2024-01-31", "e": True, "f": 7, "g": 1.5, "h": None}


def test_syntax_errors_and_duplicates_are_problems():
    assert [str(p) for p in load_document("a: [1\n", "f.yml").problems] == [
        "f.yml:2:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)"
    ]
    assert [str(p) for p in load_document("a: 1\na: 2\n", "f.yml").problems] == ["f.yml:2:1: a: duplicate key 'a'"]


def test_alias_bombs_and_recursion_are_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    problems = load_document(bomb, "f.yml").problems
    assert len(problems) == 1 and f"more than {MAX_NODES} YAML nodes" in problems[0].message
    assert load_document("a: &a [*a]\n").problems[0].message == "recursive YAML alias is not allowed"


def test_format_path():
    assert format_path(("tasks", 2, "then", 0, "message")) == "tasks[2].then[0].message"
    assert format_path(("properties", "bootstrap.servers")) == "properties['bootstrap.servers']"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("PT30S", timedelta(seconds=30)), ("PT1M30S", timedelta(seconds=90)), ("P2D", timedelta(days=2)), ("PT0.5S", timedelta(milliseconds=500)), ("-PT1H", timedelta(hours=-1))],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "5s", "PT1X", "P1Y", "1 day", "P1DT"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match="expected ISO-8601"):
        parse_duration(text)


def test_validation_error_lists_one_line_per_problem():
    error = FlowValidationError([Problem("f.yml", 1, 2, "tasks[0]", "bad"), Problem("f.yml", 3, 4, "", "worse")])
    assert str(error) == "f.yml:1:2: tasks[0]: bad\nf.yml:3:4: worse"
