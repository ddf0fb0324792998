"""`harrier flow validate|deploy|list|delete`: validation runs locally, the rest through the API."""

from __future__ import annotations

import argparse
from pathlib import Path

from harrier.core.validation import validate_files

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `flow` command and its actions."""
    parser = subparsers.add_parser("flow", help="validate and manage flows")
    actions = parser.add_subparsers(dest="action", required=True)
    validate = actions.add_parser("validate", help="check flow files; print every problem as file:line:col")
    validate.add_argument("paths", nargs="+", type=Path, metavar="FILE")
    validate.set_defaults(handler=run_validate)


def _flow_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted([*path.glob("**/*.yml"), *path.glob("**/*.yaml")]) if path.is_dir() else [path])
    return files


def run_validate(args: argparse.Namespace) -> int:
    """Print each problem on its own line; exit 1 when there is any."""
    files = _flow_files(args.paths)
    problems = validate_files(files)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {len({p.file for p in problems})} of {len(files)} file(s)")
        return 1
    print(f"{len(files)} flow(s) valid")
    return 0
