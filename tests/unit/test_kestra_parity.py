"""docs/kestra-parity.md against what Harrier accepts, so the page cannot drift.

The page has one table per family (`## Flowable tasks`, `## Runnable tasks`, `## Triggers`,
`## Conditions`, `## Other`) of rows `type | status | notes`. Checked here:

- every row names a Kestra core type (`io.kestra.plugin.core.`), once, with a known status,
  and a `partial` or `no` row says why;
- every `io.kestra.plugin.core.*` name the registry accepts (tasks, triggers) or the
  condition compiler accepts has a row of its family marked yes or partial;
- every row marked yes or partial is accepted by Harrier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from harrier.core.conditions import compile as conditions
from harrier.core.registry import default_registry
from harrier.core.tasks.scripts import ScriptTask

PAGE = Path(__file__).resolve().parents[2] / "docs" / "kestra-parity.md"
PREFIX = "io.kestra.plugin.core."
STATUSES = ("yes", "partial", "no")
ACCEPTED = ("yes", "partial")
# Each table's heading and the family its rows belong to.
FAMILIES = {
    "Flowable tasks": "task",
    "Runnable tasks": "task",
    "Triggers": "trigger",
    "Conditions": "condition",
    "Other": "other",
}
# Rows of the Other table marked yes or partial, and how Harrier is seen to accept each.
OTHER_ACCEPTED: dict[str, Callable[[], bool]] = {
    # A taskRunner type: script tasks take any `taskRunner` and run as local processes.
    "io.kestra.plugin.core.runner.Process": lambda: "task_runner" in ScriptTask.model_fields,
}


@dataclass(frozen=True)
class Row:
    family: str
    type: str
    status: str
    notes: str
    line: int


def _rows() -> list[Row]:
    rows: list[Row] = []
    family: str | None = None
    for number, line in enumerate(PAGE.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("## "):
            family = FAMILIES.get(line[3:].strip())
            continue
        if family is None or not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|", 2)]
        if len(cells) != 3 or cells[0] == "type" or set(cells[0]) <= set("-: "):
            continue
        rows.append(Row(family, cells[0].strip("`"), cells[1], cells[2], number))
    return rows


ROWS = _rows()


def _row_ids(rows: list[Row]) -> list[str]:
    return [row.type for row in rows]


def _accepted_conditions() -> set[str]:
    """Every io.kestra.plugin.core.condition.* name the condition compiler takes."""
    names: set[str] = set()
    for name in (*getattr(conditions, "_NAMES", ()), *getattr(conditions, "_RENAMED", {})):
        names.add(name)
        if not name.endswith("Condition"):
            names.add(name + "Condition")
    full = {f"{PREFIX}condition.{name}" for name in names}
    return {name for name in full if conditions.type_name_of(name) is not None}


def _accepted(family: str) -> set[str]:
    if family == "condition":
        return _accepted_conditions()
    return set(default_registry().names(family))  # type: ignore[arg-type]


def test_the_page_has_a_table_per_family() -> None:
    found = {row.family for row in ROWS}
    for family in sorted(set(FAMILIES.values())):
        assert family in found, f"docs/kestra-parity.md has no rows for the {family} family"


@pytest.mark.parametrize("row", ROWS, ids=_row_ids(ROWS))
def test_each_row_is_a_kestra_core_type_with_a_status(row: Row) -> None:
    assert row.type.startswith(PREFIX), f"line {row.line}: {row.type} is not a Kestra core type ({PREFIX}*)"
    assert row.status in STATUSES, f"line {row.line}: {row.type} has status {row.status!r}, not one of {STATUSES}"
    if row.status != "yes":
        assert row.notes, f"line {row.line}: {row.type} is {row.status} and says not why"


def test_no_type_has_two_rows() -> None:
    seen: dict[str, int] = {}
    for row in ROWS:
        assert row.type not in seen, f"{row.type} has two rows (lines {seen[row.type]} and {row.line})"
        seen[row.type] = row.line


@pytest.mark.parametrize("family", ["task", "trigger", "condition"])
def test_every_core_name_harrier_accepts_has_a_yes_or_partial_row(family: str) -> None:
    statuses = {row.type: row.status for row in ROWS if row.family == family}
    wrong = []
    for name in sorted(n for n in _accepted(family) if n.startswith(PREFIX)):
        if name not in statuses:
            wrong.append(f"{name} (no row)")
        elif statuses[name] not in ACCEPTED:
            wrong.append(f"{name} (marked {statuses[name]!r})")
    assert not wrong, f"Harrier accepts these {family} types, not marked yes or partial in docs/kestra-parity.md: {', '.join(wrong)}"


@pytest.mark.parametrize("row", [r for r in ROWS if r.status in ACCEPTED], ids=lambda r: r.type)
def test_every_yes_or_partial_row_is_accepted(row: Row) -> None:
    if row.family == "other":
        check = OTHER_ACCEPTED.get(row.type)
        assert check is not None, f"line {row.line}: {row.type} is {row.status} but the test knows no way to check it"
        assert check(), f"line {row.line}: {row.type} is {row.status} but Harrier does not accept it"
        return
    accepted = _accepted(row.family)
    assert row.type in accepted, (
        f"line {row.line}: {row.type} is marked {row.status} but Harrier does not accept it as a {row.family}"
    )


def test_rows_are_sorted_within_each_table() -> None:
    # A table is a run of consecutive lines; the order is checked per run.
    runs: list[list[Row]] = []
    for row in ROWS:
        if runs and runs[-1][-1].line == row.line - 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    for run in runs:
        names = [row.type for row in run]
        for before, after in zip(names, names[1:]):
            assert before.lower() <= after.lower(), f"{after} is listed after {before} (keep each table sorted)"
