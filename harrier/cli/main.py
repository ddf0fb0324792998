"""The `harrier` command: one sub-command module per family, wired here, and the one place
where an error becomes lines on stderr and an exit code (never a traceback, but with --debug)."""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from harrier import __version__
from harrier.cli import auth, completion, config, execution, flow, infra, kv, namespace, server
from harrier.cli.exceptions import CliError, ExitCode
from harrier.cli.options import add_debug_option, api_options

__all__ = ["build_parser", "main"]

_EPILOG = """\
exit codes:
  0  success
  1  the execution failed, or the API refused the command
  2  usage error, or a flow or input that does not validate
  3  no Harrier answers at --server (HARRIER_SERVER)
  4  --wait or follow ran out of --timeout before the execution ended

The API commands take --server (HARRIER_SERVER, default http://127.0.0.1:8080), --json
(the API's answer as one JSON document) and --debug (the stack of an error); credentials
come from HARRIER_TOKEN, or HARRIER_USER and HARRIER_PASSWORD.
Shell completion: eval "$(harrier completion bash)"  (or zsh)
"""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="harrier", description="Kafka-native workflow orchestrator running Kestra's flow syntax",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"harrier {__version__}")
    add_debug_option(parser, top=True)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = api_options()
    flow.add_parser(subparsers, common)
    execution.add_parser(subparsers, common)
    namespace.add_parser(subparsers, common)
    kv.add_parser(subparsers, common)
    server.add_parser(subparsers)
    infra.add_parser(subparsers)
    config.add_parser(subparsers)
    auth.add_parser(subparsers)
    completion.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    completion.autocomplete(parser)
    args = parser.parse_args(argv)
    if args.command == "server":
        # A component logs its own errors, stack included: its log is where operators look.
        return args.handler(args)
    try:
        return int(args.handler(args))
    except CliError as exc:
        _print_error(args, exc.lines())
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `harrier execution logs X | head`: the reader left. As Python's signal docs advise,
        # point stdout at devnull so the interpreter's last flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.FAILED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no stack
        return _unexpected(args, exc)


def _print_error(args: argparse.Namespace, lines: list[str]) -> None:
    if args.debug:
        traceback.print_exc()
    print("\n".join(lines), file=sys.stderr)


def _unexpected(args: argparse.Namespace, exc: Exception) -> int:
    server_address = getattr(args, "server", "the webserver")
    # httpx is loaded only by the commands that call the API.
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(exc, httpx.TimeoutException):
        _print_error(args, [f"error: Harrier at {server_address} did not answer in time ({type(exc).__name__})"])
        return ExitCode.UNREACHABLE
    if httpx is not None and isinstance(exc, httpx.TransportError):
        _print_error(args, [f"error: no Harrier at {server_address}: start it with `harrier server standalone` "
                            "or `make run`, or point --server (HARRIER_SERVER) at it"])
        return ExitCode.UNREACHABLE
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        _print_error(args, [f"error: {exc.strerror or exc}{where}"])
        return ExitCode.FAILED
    _print_error(args, [f"error: {type(exc).__name__}: {exc} (a bug in harrier: run again with --debug for the "
                        "stack, and report it)"])
    return ExitCode.FAILED


if __name__ == "__main__":
    sys.exit(main())
