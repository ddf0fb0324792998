"""Kestra's file functions: read, fileURI, fileSize, isFileEmpty, fileExists.

Each takes a `path` (and `read` an optional `namespace`, as Kestra's): an internal storage URI
(``kestra:///...``, or Harrier's ``storage://...``), a namespace file URI (``nsfile:///a.txt``)
or a bare path, which names a file of the flow's namespace. As Kestra enforces, a storage URI
must lie in the current execution's files, its parent execution's (a Flow trigger's), or the
flow's namespace files; other namespaces are refused (Kestra OSS allows them, Harrier has no
namespace permissions to check). `read` refuses a file larger than the expression string limit.

The functions reach storage through `set_file_storage`, which each process that renders (the
executor, the worker) calls once; the domain itself imports no configuration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions.limits import LIMITS
from harrier.storage.base import Storage
from harrier.storage.exceptions import StorageError, StorageFileNotFound
from harrier.storage.uris import execution_prefix, is_storage_uri, namespace_files_prefix, normalize_uri

__all__ = ["FILE_FUNCTIONS", "readable_uri", "set_file_storage"]

_NSFILE = "nsfile://"
_ANY_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_storage: Storage | None = None


def set_file_storage(storage: Storage | None) -> None:
    """Install the internal storage the file functions read (None: they refuse to run)."""
    global _storage
    _storage = storage


def _installed() -> Storage:
    if _storage is None:
        raise HarrierExpressionError("file functions need internal storage, which this process does not have")
    return _storage


def readable_uri(variables: Mapping[str, Any], name: str, path: Any, namespace: Any = None) -> str:
    """The storage URI `path` names, checked to be one the execution of `variables` (its
    `flow`, `execution` and `trigger`) may read; `HarrierExpressionError` naming `name` if not."""
    if not isinstance(path, str) or not path:
        raise HarrierExpressionError(f"{name}() expects a path: a namespace file path or an internal storage URI")
    flow = variables.get("flow") or {}
    own_namespace = str(flow.get("namespace", ""))
    if namespace is not None and namespace != own_namespace:
        raise HarrierExpressionError(f"{name}(): namespace {namespace!r} is not the flow's ({own_namespace}); only its own namespace files can be read")
    try:
        if is_storage_uri(path):
            uri = normalize_uri(path)
            if not any(uri.startswith(prefix) for prefix in _allowed_prefixes(variables, own_namespace)):
                raise HarrierExpressionError(f"{name}(): unable to read {path!r}: it belongs neither to the current execution nor to namespace {own_namespace}")
            return uri
        if path.startswith(_NSFILE):
            authority, _, rest = path[len(_NSFILE) :].partition("/")
            if authority and authority != own_namespace:
                raise HarrierExpressionError(f"{name}(): {path!r} names namespace {authority!r}; only the flow's own namespace files can be read")
            path = rest
        elif _ANY_SCHEME.match(path):
            raise HarrierExpressionError(f"{name}(): cannot process the URI {path!r}: scheme not supported")
        return normalize_uri(namespace_files_prefix(own_namespace) + str(path).lstrip("/"))
    except StorageError as exc:
        raise HarrierExpressionError(f"{name}(): {exc}") from None


def _allowed_prefixes(variables: Mapping[str, Any], namespace: str) -> list[str]:
    flow = variables.get("flow") or {}
    execution = variables.get("execution") or {}
    prefixes = [namespace_files_prefix(namespace)]
    if execution.get("id") and flow.get("id"):
        prefixes.append(execution_prefix(namespace, str(flow["id"]), str(execution["id"])))
    trigger = variables.get("trigger")
    # A Flow trigger's execution may read its parent execution's files, as in Kestra.
    if isinstance(trigger, Mapping) and all(trigger.get(key) for key in ("namespace", "flowId", "executionId")):
        prefixes.append(execution_prefix(str(trigger["namespace"]), str(trigger["flowId"]), str(trigger["executionId"])))
    return prefixes


def _size(storage: Storage, name: str, uri: str) -> int:
    try:
        return storage.size(uri)
    except StorageFileNotFound:
        raise HarrierExpressionError(f"{name}(): no file at {uri}") from None


def _resolve(context: Context, name: str, path: Any, namespace: Any = None) -> str:
    return readable_uri(context.get_all(), name, path, namespace)


@pass_context
def read_file(context: Context, path: Any, namespace: Any = None) -> str:
    """The file's content as UTF-8 text."""
    uri = _resolve(context, "read", path, namespace)
    storage = _installed()
    size = _size(storage, "read", uri)
    if size > LIMITS.max_string:
        raise HarrierExpressionError(f"read(): {uri} is {size:,} bytes; expressions read files of up to {LIMITS.max_string:,}")
    try:
        return storage.get(uri).decode("utf-8", errors="replace")
    except StorageFileNotFound:
        raise HarrierExpressionError(f"read(): no file at {uri}") from None


@pass_context
def file_uri(context: Context, path: Any) -> str:
    """The internal storage URI of a file of the flow's namespace."""
    if not isinstance(path, str) or not path:
        raise HarrierExpressionError("fileURI() expects a path to a namespace file")
    if "../" in path:
        raise HarrierExpressionError("fileURI(): the path must not contain '../'")
    return _resolve(context, "fileURI", path.lstrip("/"))


@pass_context
def file_size(context: Context, path: Any) -> int:
    """The file's size in bytes."""
    return _size(_installed(), "fileSize", _resolve(context, "fileSize", path))


@pass_context
def is_file_empty(context: Context, path: Any) -> bool:
    """True when the file holds no byte."""
    return _size(_installed(), "isFileEmpty", _resolve(context, "isFileEmpty", path)) == 0


@pass_context
def file_exists(context: Context, path: Any) -> bool:
    """True when the file exists."""
    return _installed().exists(_resolve(context, "fileExists", path))


FILE_FUNCTIONS: dict[str, Any] = {
    "read": read_file,
    "fileURI": file_uri,
    "fileSize": file_size,
    "isFileEmpty": is_file_empty,
    "fileExists": file_exists,
}
