"""`harrier kv set|get|list|delete`: a namespace's KV store, through the API's kv routes.

`set` takes the value as typed: with `--type` it is read as that type (a NUMBER must be a
number, JSON must parse, DATETIME an ISO-8601 date and time, ...); without, text that is
JSON (`42`, `true`, `{"a": 1}`) keeps its JSON type and anything else is a STRING.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

import orjson

from harrier.cli.client import Api
from harrier.cli.exceptions import CliError, ExitCode
from harrier.cli.output import print_json, print_table, time_text

__all__ = ["TYPES", "add_parser", "encode_value"]

# KVType's names, spelt out: importing harrier.core (for KVType) to build the parser would
# load the whole flow language on every `harrier` command (10x the CLI's start-up).
TYPES = ("STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON")


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register the `kv` command."""
    parser = subparsers.add_parser("kv", help="a namespace's key-value store")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    setting = actions.add_parser("set", help="store a value under a key", parents=[common])
    _place(setting)
    setting.add_argument("value", help="the value (see --type)")
    setting.add_argument("--type", choices=TYPES, type=str.upper, help="read the value as this type")
    setting.add_argument("--ttl", help="expire after this ISO-8601 duration (PT1H, P7D)")
    setting.add_argument("--description", help="what the value is")
    setting.set_defaults(handler=run_set)

    getting = actions.add_parser("get", help="print a key's value (--json: with its type)", parents=[common])
    _place(getting)
    getting.set_defaults(handler=run_get)

    listing = actions.add_parser("list", help="the namespace's keys", parents=[common])
    listing.add_argument("namespace", help="the namespace")
    listing.set_defaults(handler=run_list)

    deleting = actions.add_parser("delete", help="delete a key", parents=[common])
    _place(deleting)
    deleting.set_defaults(handler=run_delete)


def run_set(args: argparse.Namespace) -> int:
    """Send the value, encoded so the API stores it with the type asked for."""
    body = encode_value(args.value, args.type)
    headers = {"Content-Type": "application/json"}
    if args.ttl:
        headers["ttl"] = args.ttl
    if args.description:
        headers["description"] = args.description
    with Api(args.server) as api:
        api.call("PUT", _path(args), content=body, headers=headers)
        answer = api.json("GET", _path(args), missing=_missing(args))
    if args.json:
        print_json(answer)
    else:
        print(f"{args.key} set in {args.namespace} ({answer['type']})")
    return ExitCode.OK


def run_get(args: argparse.Namespace) -> int:
    """The value: text as is, other types as JSON; exit 1 when the key is missing or expired."""
    with Api(args.server) as api:
        answer = api.json("GET", _path(args), missing=_missing(args))
    if args.json:
        print_json(answer)
    else:
        value = answer["value"]
        print(value if isinstance(value, str) else orjson.dumps(value).decode())
    return ExitCode.OK


def run_list(args: argparse.Namespace) -> int:
    """Keys by name, with their description, last update and expiry."""
    with Api(args.server) as api:
        entries = api.json("GET", f"/namespaces/{quote(args.namespace, safe='')}/kv")
    if args.json:
        print_json(entries)
    else:
        rows = [[e["key"], e.get("description") or "", time_text(e["updateDate"]), time_text(e.get("expirationDate"))] for e in entries]
        print_table(["KEY", "DESCRIPTION", "UPDATED", "EXPIRES"], rows)
    return ExitCode.OK


def run_delete(args: argparse.Namespace) -> int:
    """Delete the key; exit 1 when there was none."""
    with Api(args.server) as api:
        deleted = api.json("DELETE", _path(args))
    if not deleted:
        raise CliError(_missing(args))
    if args.json:
        print_json({"key": args.key, "deleted": True})
    else:
        print(f"{args.key} deleted from {args.namespace}")
    return ExitCode.OK


def _place(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("namespace", help="the namespace")
    parser.add_argument("key", help="the key: letters, digits, dots, underscores and hyphens")


def _path(args: argparse.Namespace) -> str:
    from harrier.core.kv import KVError, check_key

    try:
        key = check_key(args.key)
    except KVError as exc:
        raise CliError(str(exc), ExitCode.USAGE) from None
    return f"/namespaces/{quote(args.namespace, safe='')}/kv/{key}"


def _missing(args: argparse.Namespace) -> str:
    return f"no key {args.key} in namespace {args.namespace}"


def encode_value(text: str, type_name: str | None) -> bytes:
    """The PUT body that makes the API store `text` as `type_name` (or as what it reads as)."""
    from harrier.core.kv import KVError, KVType, typed_value

    if type_name is None:
        try:
            value: Any = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = text
        return orjson.dumps(value)
    try:
        stored_type, stored = typed_value(text, KVType(type_name))
    except KVError as exc:
        raise CliError(f"value: {exc}", ExitCode.USAGE) from None
    if stored_type in (KVType.DATETIME, KVType.DATE):
        # The API reads a bare ISO-8601 date or datetime as one (a quoted one is text).
        return str(stored).encode()
    return orjson.dumps(stored)
