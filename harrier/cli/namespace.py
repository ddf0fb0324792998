"""`harrier namespace list`: the namespaces that hold flows, from the flows the API lists."""

from __future__ import annotations

import argparse
from collections import Counter

from harrier.cli.client import Api
from harrier.cli.exceptions import ExitCode
from harrier.cli.output import print_json, print_table

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register the `namespace` command."""
    parser = subparsers.add_parser("namespace", help="the namespaces that hold flows")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="each namespace with its flow count", parents=[common])
    listing.set_defaults(handler=run_list)


def run_list(args: argparse.Namespace) -> int:
    """Namespaces by name, each with how many flows it holds itself (not its children)."""
    with Api(args.server) as api:
        counts = Counter(flow["namespace"] for flow in api.pages("/flows/search", {}))
    namespaces = sorted(counts.items())
    if args.json:
        print_json([{"namespace": name, "flows": count} for name, count in namespaces])
    else:
        print_table(["NAMESPACE", "FLOWS"], [[name, str(count)] for name, count in namespaces])
    return ExitCode.OK
