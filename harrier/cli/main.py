"""The `harrier` command: one sub-command module per family, wired here."""

from __future__ import annotations

import argparse
import sys

from harrier import __version__
from harrier.cli import config, execution, flow, infra, server

__all__ = ["main"]

_COMMANDS = [infra, config, flow, execution, server]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(prog="harrier", description="Kafka-native workflow orchestrator")
    parser.add_argument("--version", action="version", version=f"harrier {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in _COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
