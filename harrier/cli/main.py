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


# Exit code when the webserver cannot be reached (1: the execution or command failed).
UNREACHABLE = 3


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except Exception as exc:
        # httpx is loaded only by the commands that call the API; a server process never has it.
        if "httpx" in sys.modules and isinstance(exc, sys.modules["httpx"].TransportError):
            print(_unreachable(getattr(args, "server", "the webserver"), exc), file=sys.stderr)
            return UNREACHABLE
        raise


def _unreachable(server: str, exc: Exception) -> str:
    if isinstance(exc, sys.modules["httpx"].TimeoutException):
        return f"error: Harrier at {server} did not answer in time ({type(exc).__name__})"
    return (f"error: no Harrier at {server}: start it with `harrier server standalone` or `make run`, "
            "or point --server (HARRIER_SERVER) at it")


if __name__ == "__main__":
    sys.exit(main())
