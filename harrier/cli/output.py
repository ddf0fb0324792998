"""How commands print: tables (rich) for people, the API's body as one JSON document for scripts.

rich is imported when a table is printed, never by `harrier server ...` processes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import orjson

__all__ = ["duration_text", "print_json", "print_table", "state_of", "time_text"]

_STATE_STYLES = {
    "SUCCESS": "green", "WARNING": "yellow", "FAILED": "red", "KILLED": "red", "KILLING": "red",
    "CANCELLED": "magenta", "RUNNING": "cyan", "PAUSED": "yellow", "RETRYING": "yellow",
}
_ISO_DURATION = re.compile(r"P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>[\d.]+)S)?)?$")


def print_json(body: Any) -> None:
    """The body as the API sent it, indented, on stdout."""
    sys.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")


def print_table(columns: Sequence[str], rows: Sequence[Sequence[str]], *, state_column: str | None = None) -> None:
    """A borderless table, one row per line (greppable); a state column is coloured on a terminal."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if not console.is_terminal:
        # Piped: no wrapping to 80 columns, so each row stays one line whatever its width.
        console = Console(width=100_000, no_color=True, highlight=False)
    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False, highlight=False)
    for column in columns:
        table.add_column(column, no_wrap=True, overflow="ignore")
    state_index = columns.index(state_column) if state_column else -1
    for row in rows:
        # Text, not markup: a cell may hold brackets (a label, a ForEach value).
        cells = [Text(str(cell)) for cell in row]
        if state_index >= 0:
            cells[state_index].stylize(_STATE_STYLES.get(str(row[state_index]), ""))
        table.add_row(*cells)
    with console.capture() as capture:
        console.print(table)
    # rich pads the last column to its width: keep lines free of trailing blanks.
    sys.stdout.write("".join(line.rstrip() + "\n" for line in capture.get().splitlines()))


def state_of(body: dict[str, Any]) -> str:
    """The current state of a Kestra execution or task run (``state.current``)."""
    return str((body.get("state") or {}).get("current", "UNKNOWN"))


def time_text(value: str | None) -> str:
    """A UTC ISO-8601 date to the second (``2026-12-03T17:52:05Z``); empty when there is none."""
    if not value:
        return ""
    return f"{value[:19]}Z" if len(value) >= 19 else value


def duration_text(value: str | None) -> str:
    """An ISO-8601 duration (``PT1M2.5S``) as people read it (``1m 2.5s``, ``25ms``)."""
    match = _ISO_DURATION.match(value or "")
    if not value or not match:
        return value or ""
    d, h, m, s = (match.group(k) for k in "dhms")
    parts = [f"{d}d" if d else "", f"{h}h" if h else "", f"{m}m" if m else ""]
    if s or not any(parts):
        seconds = float(s or 0)
        if seconds < 1 and not any(parts):
            parts.append(f"{seconds * 1000:.0f}ms")
        else:
            parts.append(f"{seconds:.3g}s" if seconds < 10 else f"{seconds:.0f}s")
    return " ".join(part for part in parts if part)
