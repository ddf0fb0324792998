"""The CLI's exit codes and its one exception.

A command that cannot go on raises ``CliError`` with the lines to print and the exit code;
``harrier.cli.main`` prints them on stderr and exits with the code, so no command prints a
traceback (``--debug`` adds the stack).
"""

from __future__ import annotations

import enum

__all__ = ["CliError", "ExitCode"]


class ExitCode(enum.IntEnum):
    """What `harrier` exits with; `harrier --help` and the README list them."""

    OK = 0
    FAILED = 1  # the execution failed, or the API refused the command
    USAGE = 2  # a bad argument, or a flow or input that does not validate
    UNREACHABLE = 3  # no webserver answered at --server
    TIMED_OUT = 4  # --wait or follow ran out of --timeout before the execution ended


class CliError(Exception):
    """A failure to report as ``error: <message>`` (plus detail lines) and an exit code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details

    def lines(self) -> list[str]:
        """What to print: the message, then each detail indented."""
        return [f"error: {self.message}", *(f"  {detail}" for detail in self.details)]
