"""`harrier execution logs`: an execution's log lines as ``timestamp level task: message``."""

from __future__ import annotations

import argparse
from typing import Any

from harrier.cli.client import Api
from harrier.cli.messages import unknown_execution
from harrier.cli.output import print_json

__all__ = ["LEVELS", "log_line", "run_logs"]

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


def log_line(entry: dict[str, Any]) -> str:
    """One Kestra LogEntry as a line; the continuation lines of a message are indented."""
    task = entry.get("taskId") or "execution"
    message = str(entry.get("message", "")).replace("\n", "\n    ")
    return f"{entry.get('timestamp', '')} {entry.get('level', ''):<5} {task}: {message}"


def run_logs(args: argparse.Namespace) -> int:
    """Print the lines at --level or above, of --task only if given; oldest first."""
    params: dict[str, Any] = {"minLevel": args.level}
    if args.task:
        params["taskId"] = args.task
    with Api(args.server) as api:
        entries = api.json("GET", f"/logs/{args.id}", params=params)
        if not entries:
            # Kestra answers [] for an execution it does not know: tell the two cases apart.
            api.json("GET", f"/executions/{args.id}", missing=unknown_execution(args.id))
    if args.json:
        print_json(entries)
        return 0
    for entry in entries:
        print(log_line(entry))
    return 0

