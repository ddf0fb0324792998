"""`harrier flow validate|deploy|list|get|export|revisions|delete`: validation runs locally,
the rest through the API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from harrier.cli.client import Api
from harrier.cli.completion import flow_ids, namespaces
from harrier.cli.exceptions import CliError, ExitCode
from harrier.cli.messages import unknown_flow, unknown_revision
from harrier.cli.output import print_json, print_table

__all__ = ["add_parser", "in_namespace"]


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register the `flow` command and its actions."""
    parser = subparsers.add_parser("flow", help="validate, deploy and read flows")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help: str, *, api: bool = True) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=help, description=help, parents=[common] if api else [])

    validate = action("validate", "check flow files locally; print every problem as file:line:col", api=False)
    validate.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_FOLDER")
    validate.set_defaults(handler=run_validate)

    deploy = action("deploy", "validate, then deploy flow files or folders (nothing is deployed if one is bad)")
    deploy.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_FOLDER")
    deploy.add_argument("--namespace", help="refuse files of any namespace but this one and its children")
    deploy.set_defaults(handler=run_deploy)

    listing = action("list", "list deployed flows")
    scope = listing.add_argument("namespace", nargs="?", help="this namespace and its children")
    scope.completer = namespaces  # type: ignore[attr-defined]
    listing.add_argument("--query", "-q", help="text searched in ids, namespaces, descriptions and sources")
    listing.set_defaults(handler=run_list)

    get = action("get", "a flow's source (its latest revision, or --revision)")
    _add_flow_arguments(get)
    get.add_argument("--revision", type=int)
    get.set_defaults(handler=run_get)

    revisions = action("revisions", "a flow's revisions, oldest first")
    _add_flow_arguments(revisions)
    revisions.set_defaults(handler=run_revisions)

    export = action("export", "write each flow of a namespace (and its children) to DIR/<namespace>/<id>.yml")
    export.add_argument("namespace").completer = namespaces  # type: ignore[attr-defined]
    export.add_argument("--output", "-o", type=Path, default=Path("."), metavar="DIR",
                        help="where to write (default: here); `harrier flow deploy DIR` deploys them back")
    export.set_defaults(handler=run_export)

    delete = action("delete", "delete a flow")
    _add_flow_arguments(delete)
    delete.set_defaults(handler=run_delete)


def _add_flow_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("namespace").completer = namespaces  # type: ignore[attr-defined]
    parser.add_argument("flow", metavar="FLOW_ID").completer = flow_ids  # type: ignore[attr-defined]


def in_namespace(namespace: str, wanted: str) -> bool:
    """True for ``wanted`` itself and its children (``company.team`` is in ``company``)."""
    return namespace == wanted or namespace.startswith(f"{wanted}.")


def _flow_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted([*path.glob("**/*.yml"), *path.glob("**/*.yaml")]) if path.is_dir() else [path])
    if not files:
        raise CliError(f"no .yml or .yaml file in {', '.join(map(str, paths))}", ExitCode.USAGE)
    return files


def run_validate(args: argparse.Namespace) -> int:
    """Print each problem on its own line; exit 2 when there is any."""
    return ExitCode.USAGE if _problems(_flow_files(args.paths), quiet=False) else ExitCode.OK


def _problems(files: list[Path], *, quiet: bool) -> int:
    """How many problems the files hold, each printed; unless ``quiet``, a summary line too."""
    from harrier.core.validation import validate_files  # the flow model: only these commands need it

    problems = validate_files(files)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {len({p.file for p in problems})} of {len(files)} file(s)")
    elif not quiet:
        print(f"{len(files)} flow(s) valid")
    return len(problems)


def run_deploy(args: argparse.Namespace) -> int:
    """Validate locally first (nothing is deployed if any file is bad), then deploy each file."""
    files = _flow_files(args.paths)
    if _problems(files, quiet=args.json):
        raise CliError("nothing deployed: fix the problems above first", ExitCode.USAGE)
    sources = {path: path.read_text(encoding="utf-8") for path in files}
    if args.namespace:
        declared = {path: yaml.safe_load(text).get("namespace") for path, text in sources.items()}
        strangers = [f"{path}: namespace is {ns}" for path, ns in declared.items() if not in_namespace(ns, args.namespace)]
        if strangers:
            raise CliError(f"nothing deployed: {len(strangers)} file(s) outside namespace {args.namespace} (--namespace)",
                           ExitCode.USAGE, tuple(strangers))
    deployed = []
    with Api(args.server) as api:
        for path, source in sources.items():
            response = api.call("POST", "/flows", content=source, headers={"Content-Type": "application/x-yaml"})
            body = response.json()
            deployed.append(body)
            outcome = response.headers.get("X-Deploy-Outcome", "created" if response.status_code == 201 else "updated")
            if not args.json:
                print(f"{body['namespace']}/{body['id']} revision {body['revision']} ({outcome}) <- {path}", flush=True)
    if args.json:
        print_json(deployed)
    return ExitCode.OK


def run_list(args: argparse.Namespace) -> int:
    """A table of the deployed flows: namespace, id, latest revision, description."""
    params: dict[str, Any] = {"namespace": args.namespace} if args.namespace else {}
    if args.query:
        params["q"] = args.query
    with Api(args.server) as api:
        flows = list(api.pages("/flows/search", params))
    if args.json:
        print_json({"results": flows, "total": len(flows)})
        return ExitCode.OK
    rows = [
        [flow["namespace"], flow["id"], str(flow["revision"]), "yes" if flow.get("disabled") else "",
         (flow.get("description") or "").split("\n")[0]]
        for flow in sorted(flows, key=lambda f: (f["namespace"], f["id"]))
    ]
    print_table(["NAMESPACE", "ID", "REVISION", "DISABLED", "DESCRIPTION"], rows)
    return ExitCode.OK


def _flow(api: Api, namespace: str, flow_id: str, revision: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"source": "true"}
    if revision is not None:
        params["revision"] = revision
    missing = unknown_flow(namespace, flow_id) if revision is None else unknown_revision(namespace, flow_id, revision)
    return api.json("GET", f"/flows/{namespace}/{flow_id}", params=params, missing=missing)


def run_get(args: argparse.Namespace) -> int:
    """The flow's YAML source as deployed (--json: the API's FlowWithSource body)."""
    with Api(args.server) as api:
        body = _flow(api, args.namespace, args.flow, args.revision)
    if args.json:
        print_json(body)
    else:
        sys.stdout.write(body["source"] if body["source"].endswith("\n") else f"{body['source']}\n")
    return ExitCode.OK


def run_revisions(args: argparse.Namespace) -> int:
    """A table of the flow's revisions: number, tasks, description."""
    with Api(args.server) as api:
        revisions = api.json("GET", f"/flows/{args.namespace}/{args.flow}/revisions",
                             missing=unknown_flow(args.namespace, args.flow))
    if args.json:
        print_json(revisions)
        return ExitCode.OK
    rows = [
        [str(flow["revision"]), str(len(flow.get("tasks") or [])), "yes" if flow.get("disabled") else "",
         (flow.get("description") or "").split("\n")[0]]
        for flow in revisions
    ]
    print_table(["REVISION", "TASKS", "DISABLED", "DESCRIPTION"], rows)
    return ExitCode.OK


def run_export(args: argparse.Namespace) -> int:
    """Write each flow's source as deployed; an existing file of the same name is replaced."""
    with Api(args.server) as api:
        found = [f for f in api.pages("/flows/search", {"namespace": args.namespace})
                 if in_namespace(f["namespace"], args.namespace)]
        if not found:
            raise CliError(f"no flow in namespace {args.namespace} (harrier namespace list shows the namespaces)")
        written = []
        for item in sorted(found, key=lambda f: (f["namespace"], f["id"])):
            body = _flow(api, item["namespace"], item["id"])
            path = args.output / body["namespace"] / f"{body['id']}.yml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body["source"], encoding="utf-8")
            written.append(body)
            if not args.json:
                print(f"{body['namespace']}/{body['id']} revision {body['revision']} -> {path}")
    if args.json:
        print_json(written)
    return ExitCode.OK


def run_delete(args: argparse.Namespace) -> int:
    """Delete a flow (a tombstone on the flows topic); its executions stay."""
    with Api(args.server) as api:
        api.call("DELETE", f"/flows/{args.namespace}/{args.flow}", missing=unknown_flow(args.namespace, args.flow))
    if not args.json:  # the API answers 204, no body: a script has the exit code
        print(f"deleted {args.namespace}/{args.flow}")
    return ExitCode.OK
