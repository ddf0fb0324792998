"""Options every command that talks to the API takes, in the place people type them
(`harrier flow list --json`), and the global --debug."""

from __future__ import annotations

import argparse
import os

from harrier.cli.client import DEFAULT_SERVER

__all__ = ["add_debug_option", "api_options"]


def add_debug_option(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """--debug: show the stack of an error. Accepted before the command and after it; below
    the top it defaults to SUPPRESS, or a sub-command's default would hide `harrier --debug ...`."""
    parser.add_argument("--debug", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="on an error, show the Python stack too")


def api_options() -> argparse.ArgumentParser:
    """A parent parser: --server, --json and --debug."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--server", default=os.environ.get("HARRIER_SERVER", DEFAULT_SERVER),
        help="webserver address (HARRIER_SERVER, default %(default)s); "
             "HARRIER_TOKEN or HARRIER_USER/HARRIER_PASSWORD authenticate",
    )
    parent.add_argument("--json", action="store_true", help="print the API's answer as one JSON document")
    add_debug_option(parent, top=False)
    return parent
