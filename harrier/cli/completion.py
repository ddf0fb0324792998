"""Shell completion (argcomplete): `harrier completion bash|zsh` prints the script to source,
and namespaces, flow ids and execution ids complete from the server at --server.

argcomplete is imported only while completing (``_ARGCOMPLETE`` is set) or printing the script.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

__all__ = ["add_parser", "autocomplete", "execution_ids", "flow_ids", "namespaces"]

# A completion must answer at once: a server that is slow or down completes nothing.
_TIMEOUT_S = 2.0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `completion` command."""
    parser = subparsers.add_parser(
        "completion", help="print the shell completion script",
        description="print the completion script; load it with: eval \"$(harrier completion bash)\" "
                    "(zsh: the same with zsh, after compinit)",
    )
    parser.add_argument("shell", choices=["bash", "zsh"])
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the script that registers `harrier` with the shell's completion."""
    import argcomplete

    print(argcomplete.shellcode(["harrier"], shell=args.shell), end="")
    return 0


def autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit, when this process is one."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        # Options are offered once a "-" is typed, values (and sub-commands) before.
        argcomplete.autocomplete(parser, always_complete_options=False)


def _from_server(read: Callable[[Any, argparse.Namespace], list[str]]) -> Callable[..., list[str]]:
    """A completer that asks the server, and completes nothing when that fails."""

    def complete(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
        from harrier.cli.client import Api

        try:
            with Api(parsed_args.server, timeout=_TIMEOUT_S) as api:
                return [value for value in read(api, parsed_args) if value.startswith(prefix)]
        except Exception:  # noqa: BLE001 - a completion never prints an error into the command line
            return []

    return complete


namespaces = _from_server(lambda api, args: sorted({f["namespace"] for f in api.pages("/flows/search", {})}))
flow_ids = _from_server(lambda api, args: sorted(
    f["id"] for f in api.pages("/flows/search", {"namespace": args.namespace}) if f["namespace"] == args.namespace
))
execution_ids = _from_server(
    lambda api, args: [e["id"] for e in api.json("GET", "/executions/search", params={"size": 50})["results"]]
)
