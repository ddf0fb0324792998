"""`harrier execution run|list|get|logs|follow|kill|resume|restart|delete`, through the API."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from harrier.cli.client import Api
from harrier.cli.completion import execution_ids, flow_ids, namespaces
from harrier.cli.exceptions import CliError, ExitCode
from harrier.cli.follow import follow_to_end, report
from harrier.cli.logs import LEVELS, run_logs
from harrier.cli.messages import unknown_execution, unknown_flow, unknown_revision
from harrier.cli.output import duration_text, print_json, print_table, state_of, time_text

__all__ = ["add_parser", "parse_inputs"]


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register the `execution` command and its actions."""
    parser = subparsers.add_parser("execution", help="start, inspect and steer executions")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=help, description=help, parents=[common])

    run = action("run", "start an execution of a flow")
    run.add_argument("namespace").completer = namespaces  # type: ignore[attr-defined]
    run.add_argument("flow", metavar="FLOW_ID").completer = flow_ids  # type: ignore[attr-defined]
    _add_input_option(run, "an input (repeatable); KEY=@PATH uploads a file")
    run.add_argument("--label", "-l", action="append", default=[], metavar="KEY:VALUE", help="a label (repeatable)")
    run.add_argument("--revision", type=int, help="run this revision of the flow instead of the latest")
    run.add_argument("--wait", action="store_true", help="wait for the end; exit code from the final state")
    run.add_argument("--follow", "-f", action="store_true", help="print state changes and logs live (implies --wait)")
    _add_timeout_option(run)
    run.set_defaults(handler=run_execution)

    listing = action("list", "list executions, newest first")
    scope = listing.add_argument("namespace", nargs="?", help="this namespace and its children")
    scope.completer = namespaces  # type: ignore[attr-defined]
    listing.add_argument("--flow", help="only this flow's")
    listing.add_argument("--state", action="append", default=[], type=str.upper,
                         help="only in this state (repeatable)")
    listing.add_argument("--label", "-l", action="append", default=[], metavar="KEY:VALUE", help="with this label")
    listing.add_argument("--size", type=int, default=25, help="how many (default %(default)s)")
    listing.add_argument("--page", type=int, default=1, help="which page of --size (default %(default)s)")
    listing.set_defaults(handler=run_list)

    get = action("get", "an execution: its state, task runs and outputs")
    get.add_argument("id", metavar="EXECUTION_ID").completer = execution_ids  # type: ignore[attr-defined]
    get.set_defaults(handler=run_get)

    logs = action("logs", "an execution's log lines, oldest first")
    logs.add_argument("id", metavar="EXECUTION_ID").completer = execution_ids  # type: ignore[attr-defined]
    logs.add_argument("--level", type=str.upper, choices=LEVELS, default="INFO", help="lowest level (default INFO)")
    logs.add_argument("--task", help="only this task's lines (a task id)")
    logs.set_defaults(handler=run_logs)

    follow = action("follow", "print an execution's state changes and logs until it ends")
    follow.add_argument("id", metavar="EXECUTION_ID").completer = execution_ids  # type: ignore[attr-defined]
    _add_timeout_option(follow)
    follow.set_defaults(handler=run_follow)

    for name, help in (("kill", "kill a running execution"), ("restart", "restart a FAILED or KILLED execution"),
                       ("delete", "delete an ended execution")):
        command = action(name, help)
        command.add_argument("id", metavar="EXECUTION_ID").completer = execution_ids  # type: ignore[attr-defined]
        command.set_defaults(handler=run_command, command=name)

    resume = action("resume", "resume a PAUSED execution")
    resume.add_argument("id", metavar="EXECUTION_ID").completer = execution_ids  # type: ignore[attr-defined]
    _add_input_option(resume, "a resume input (repeatable)")
    resume.set_defaults(handler=run_command, command="resume")


def _add_input_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE", help=help)


def _add_timeout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="longest wait in seconds (default %(default)g); exit 4 past it")


def parse_inputs(pairs: list[str]) -> dict[str, str | Path]:
    """KEY=VALUE pairs as values by key; KEY=@PATH names a file to upload. Exit 2 on a bad one."""
    inputs: dict[str, str | Path] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--input {pair!r}: expected KEY=VALUE (KEY=@PATH for a file)", ExitCode.USAGE)
        if value.startswith("@"):
            path = Path(value[1:])
            if not path.is_file():
                raise CliError(f"--input {key}: {path} is not a file", ExitCode.USAGE)
            inputs[key] = path
        else:
            inputs[key] = value
    return inputs


@contextlib.contextmanager
def _form(inputs: dict[str, str | Path]) -> Iterator[dict[str, Any]]:
    """The inputs as a multipart form, as Kestra's API takes them (a file part per FILE input)."""
    with contextlib.ExitStack() as files:
        parts: list[tuple[str, tuple[str | None, str | IO[bytes]]]] = []
        for key, value in inputs.items():
            if isinstance(value, Path):
                parts.append((key, (value.name, files.enter_context(value.open("rb")))))
            else:
                parts.append((key, (None, value)))
        yield {"files": parts} if parts else {}


def run_execution(args: argparse.Namespace) -> int:
    """Create the execution; with --wait/--follow follow it and exit 0 only on success."""
    inputs = parse_inputs(args.input)
    with Api(args.server) as api, _form(inputs) as form:
        params: dict[str, Any] = {"labels": args.label}
        missing = unknown_flow(args.namespace, args.flow)
        if args.revision is not None:
            params["revision"] = args.revision
            missing = unknown_revision(args.namespace, args.flow, args.revision)
        created = api.json("POST", f"/executions/{args.namespace}/{args.flow}", params=params, missing=missing, **form)
        waits = args.wait or args.follow
        if not waits:
            if args.json:
                print_json(created)
            else:
                print(f"execution {created['id']} of {args.namespace}/{args.flow}: {state_of(created)}")
            return ExitCode.OK
        if not args.json:
            print(f"execution {created['id']} of {args.namespace}/{args.flow}: {state_of(created)}", flush=True)
        final = follow_to_end(api, created["id"], args.timeout, echo=args.follow and not args.json)
    return report(final, as_json=args.json)


def run_follow(args: argparse.Namespace) -> int:
    """Follow an existing execution (even an ended one: it prints its last state) to its end."""
    with Api(args.server) as api:
        # Asked first: the stream waits a while for an execution it has not seen yet.
        api.json("GET", f"/executions/{args.id}", missing=unknown_execution(args.id))
        final = follow_to_end(api, args.id, args.timeout, echo=not args.json)
    return report(final, as_json=args.json)


def run_list(args: argparse.Namespace) -> int:
    """A table of executions: id, flow, state, start and duration."""
    params: dict[str, Any] = {"page": args.page, "size": args.size, "state": args.state, "labels": args.label}
    if args.namespace:
        params["namespace"] = args.namespace
    if args.flow:
        params["flowId"] = args.flow
    with Api(args.server) as api:
        body = api.json("GET", "/executions/search", params=params)
    if args.json:
        print_json(body)
        return ExitCode.OK
    rows = [
        [e["id"], f"{e['namespace']}/{e['flowId']}", state_of(e), time_text(e["state"].get("startDate")),
         duration_text(e["state"].get("duration"))]
        for e in body["results"]
    ]
    print_table(["ID", "FLOW", "STATE", "STARTED", "DURATION"], rows, state_column="STATE")
    shown = (args.page - 1) * args.size + len(rows)
    if shown < body["total"]:
        print(f"{len(rows)} of {body['total']}; --page {args.page + 1} shows more", file=sys.stderr)
    return ExitCode.OK


def run_get(args: argparse.Namespace) -> int:
    """The execution's summary, its task runs as a table, then its outputs."""
    with Api(args.server) as api:
        body = api.json("GET", f"/executions/{args.id}", missing=unknown_execution(args.id))
    if args.json:
        print_json(body)
        return ExitCode.OK
    state = body.get("state") or {}
    labels = ", ".join(f"{label['key']}:{label['value']}" for label in body.get("labels") or [])
    for name, value in (
        ("id", body["id"]), ("flow", f"{body['namespace']}/{body['flowId']} revision {body.get('flowRevision')}"),
        ("state", state_of(body)), ("started", time_text(state.get("startDate"))),
        ("ended", time_text(state.get("endDate"))), ("duration", duration_text(state.get("duration"))),
        ("labels", labels), ("error", body.get("error") or ""),
    ):
        if value:
            print(f"{name + ':':<10}{value}")
    task_runs = body.get("taskRunList") or []
    if task_runs:
        print()
        rows = [
            [run["taskId"], "" if run.get("value") is None else str(run["value"]), state_of(run),
             str(len(run.get("attempts") or [])), time_text((run.get("state") or {}).get("startDate")),
             duration_text((run.get("state") or {}).get("duration"))]
            for run in task_runs
        ]
        print_table(["TASK", "VALUE", "STATE", "ATTEMPTS", "STARTED", "DURATION"], rows, state_column="STATE")
    if body.get("inputs"):
        print("\ninputs:")
        print_json(body["inputs"])
    if body.get("outputs"):
        print("\noutputs:")
        print_json(body["outputs"])
    return ExitCode.OK


_COMMANDS = {
    "kill": ("DELETE", "/executions/{id}/kill", "kill requested for execution {id}"),
    "resume": ("POST", "/executions/{id}/resume", "resume requested for execution {id}"),
    "restart": ("POST", "/executions/{id}/restart", "restart requested for execution {id}"),
    "delete": ("DELETE", "/executions/{id}", "deleted execution {id}"),
}


def run_command(args: argparse.Namespace) -> int:
    """Send kill, resume, restart or delete; the API refuses one the execution's state forbids (exit 1)."""
    method, path, done = _COMMANDS[args.command]
    inputs = parse_inputs(getattr(args, "input", []))
    with Api(args.server) as api, _form(inputs) as form:
        body = api.json(method, path.format(id=args.id), missing=unknown_execution(args.id), **form)
    if not args.json:
        print(done.format(id=args.id))
    elif body is not None:  # Kestra answers a kill and a delete with no body
        print_json(body)
    return ExitCode.OK
