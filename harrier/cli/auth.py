"""`harrier auth hash`: the argon2 hash of a password, for `webserver.auth.users`."""

from __future__ import annotations

import argparse
import getpass
import sys

from harrier.cli.exceptions import CliError, ExitCode

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `auth` command."""
    parser = subparsers.add_parser("auth", help="credentials for the webserver's basic auth")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    hashing = actions.add_parser(
        "hash", help="print the argon2 hash of a password",
        description="print the argon2 hash to put under webserver.auth.users.<name>; the password is "
                    "asked twice at a terminal, or read as one line from standard input",
    )
    hashing.set_defaults(handler=run_hash)


def run_hash(args: argparse.Namespace) -> int:
    """Read the password (never from the command line, where `ps` and history see it) and hash it."""
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CliError("the two passwords differ; nothing printed", ExitCode.USAGE)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise CliError("an empty password cannot be hashed", ExitCode.USAGE)
    from harrier.webserver.passwords import hash_password

    print(hash_password(password))
    return 0
