"""`harrier execution run`: start an execution through the API, optionally follow it to its end."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from harrier.cli.client import add_server_options, api, fail_on_error, server_events
from harrier.core.states import TERMINAL

__all__ = ["add_parser"]

_TERMINAL = frozenset(state.value for state in TERMINAL)
_OK_STATES = {"SUCCESS", "WARNING"}
# Exit code of --wait when the execution had not ended in --timeout seconds.
TIMED_OUT = 4


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `execution` command."""
    parser = subparsers.add_parser("execution", help="start and follow executions")
    actions = parser.add_subparsers(dest="action", required=True)
    run = actions.add_parser("run", help="start an execution of a flow")
    run.add_argument("namespace")
    run.add_argument("flow")
    run.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE", help="an input (repeatable)")
    run.add_argument("--label", "-l", action="append", default=[], metavar="KEY:VALUE", help="a label (repeatable)")
    run.add_argument("--wait", action="store_true", help="wait for the end; exit code from the final state")
    run.add_argument("--follow", action="store_true", help="print state changes and logs live (implies --wait)")
    run.add_argument("--timeout", type=float, default=600.0, help="longest wait in seconds")
    add_server_options(run)
    run.set_defaults(handler=run_execution)


def _inputs(pairs: list[str]) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: --input {pair!r}: expected KEY=VALUE")
        inputs[key] = value
    return inputs


def run_execution(args: argparse.Namespace) -> int:
    """Create the execution; with --wait/--follow print its outputs and exit 0 only on success."""
    inputs = _inputs(args.input)
    params: dict[str, Any] = {"labels": args.label}
    if args.wait and not args.follow:
        params |= {"wait": "true", "timeout": args.timeout}
    with api(args, timeout=args.timeout + 30) as client:
        created = fail_on_error(client.post(f"/executions/{args.namespace}/{args.flow}", params=params, json=inputs))
        print(f"execution {created['id']} of {args.namespace}/{args.flow}: {created['state']}", flush=True)
        if not (args.wait or args.follow):
            return 0
        final = _follow(client, created["id"]) if args.follow else created
    if not args.follow and final.get("state") not in _TERMINAL:
        # The server answered --wait before the end: that is a time-out, not a failure.
        print(f"timed out after {args.timeout:g} s: execution {created['id']} is still {final.get('state', 'unknown')}",
              file=sys.stderr)
        return TIMED_OUT
    return _report(final)


def _follow(client: Any, execution_id: str) -> dict[str, Any]:
    """Print each state change and log line as it arrives; return the last snapshot."""
    final: dict[str, Any] = {}
    state = None
    for kind, data in server_events(client, f"/executions/{execution_id}/follow"):
        if kind == "execution":
            final = data
            if data.get("state") != state:
                state = data.get("state")
                print(f"-- execution {state}", flush=True)
        elif kind == "log":
            task = data.get("task_id") or "execution"
            print(f"{data['timestamp']} {data['level']:<5} {task}: {data['message']}", flush=True)
        elif kind == "dropped":
            print("error: the server dropped this follower (too slow)", file=sys.stderr)
            break
    return final


def _report(final: dict[str, Any]) -> int:
    state = final.get("state", "UNKNOWN")
    print(f"final state: {state}")
    if final.get("error"):
        print(f"error: {final['error']}")
    if final.get("outputs"):
        print("outputs:")
        print(orjson.dumps(final["outputs"], option=orjson.OPT_INDENT_2).decode())
    return 0 if state in _OK_STATES else 1
