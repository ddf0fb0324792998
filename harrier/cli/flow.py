"""`harrier flow validate|deploy|list|delete`: validation runs locally, the rest through the API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from harrier.cli.client import add_server_options, api, fail_on_error

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `flow` command and its actions."""
    parser = subparsers.add_parser("flow", help="validate and manage flows")
    actions = parser.add_subparsers(dest="action", required=True)
    validate = actions.add_parser("validate", help="check flow files; print every problem as file:line:col")
    validate.add_argument("paths", nargs="+", type=Path, metavar="FILE")
    validate.set_defaults(handler=run_validate)

    deploy = actions.add_parser("deploy", help="deploy flow files or folders (all flows must be in NAMESPACE)")
    deploy.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_FOLDER")
    deploy.add_argument("--namespace", help="refuse flows of any other namespace")
    add_server_options(deploy)
    deploy.set_defaults(handler=run_deploy)

    listing = actions.add_parser("list", help="list deployed flows")
    listing.add_argument("--namespace")
    add_server_options(listing)
    listing.set_defaults(handler=run_list)

    delete = actions.add_parser("delete", help="delete a flow")
    delete.add_argument("namespace")
    delete.add_argument("flow")
    add_server_options(delete)
    delete.set_defaults(handler=run_delete)


def _flow_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted([*path.glob("**/*.yml"), *path.glob("**/*.yaml")]) if path.is_dir() else [path])
    return files


def run_validate(args: argparse.Namespace) -> int:
    """Print each problem on its own line; exit 1 when there is any."""
    from harrier.core.validation import validate_files  # the flow model: only this command needs it

    files = _flow_files(args.paths)
    problems = validate_files(files)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {len({p.file for p in problems})} of {len(files)} file(s)")
        return 1
    print(f"{len(files)} flow(s) valid")
    return 0


def run_deploy(args: argparse.Namespace) -> int:
    """Validate locally first (nothing is deployed if any file is bad), then deploy each file."""
    files = _flow_files(args.paths)
    if run_validate(argparse.Namespace(paths=files)) != 0:
        return 1
    sources = {path: path.read_text(encoding="utf-8") for path in files}
    if args.namespace:
        declared = {path: yaml.safe_load(text).get("namespace") for path, text in sources.items()}
        strangers = {path: ns for path, ns in declared.items() if ns != args.namespace}
        for path, namespace in strangers.items():
            print(f"{path}: namespace is {namespace}, not {args.namespace} (--namespace)", file=sys.stderr)
        if strangers:
            return 1
    with api(args) as client:
        for path, source in sources.items():
            response = client.post("/flows", content=source, headers={"Content-Type": "application/x-yaml"})
            body = fail_on_error(response)
            outcome = response.headers.get("X-Deploy-Outcome", "created" if response.status_code == 201 else "updated")
            print(f"{body['namespace']}/{body['id']} revision {body['revision']} ({outcome}) <- {path}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """One line per deployed flow: namespace/id and latest revision."""
    params = {"namespace": args.namespace} if args.namespace else {}
    with api(args) as client:
        for flow in fail_on_error(client.get("/flows", params=params)):
            print(f"{flow['namespace']}/{flow['id']}\trevision {flow['revision']}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    """Delete a flow (a tombstone on the flows topic)."""
    with api(args) as client:
        fail_on_error(client.delete(f"/flows/{args.namespace}/{args.flow}"))
    print(f"deleted {args.namespace}/{args.flow}")
    return 0
