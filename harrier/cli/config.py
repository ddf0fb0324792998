"""`harrier config check`: load the settings and print them, or the one-line error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `config` command."""
    parser = subparsers.add_parser("config", help="inspect the effective configuration")
    parser.add_argument("action", choices=["check"])
    parser.add_argument("--config", action="append", default=[], metavar="FILE", help="YAML properties file")
    parser.set_defaults(handler=lambda args: run(args.config))


def run(paths: Sequence[str]) -> int:
    """Load defaults < ``paths`` < environment; print the effective YAML and return 0, or
    print the error line to stderr and return 2."""
    # pydantic and the flow model: loaded by this command, not by every `harrier` call.
    from harrier.config import ConfigError, load_settings, render_settings

    try:
        settings = load_settings(paths)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    sys.stdout.write(render_settings(settings))
    return 0
