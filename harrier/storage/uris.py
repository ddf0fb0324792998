"""`storage://` URIs: where a file of an execution lives in internal storage.

Layout, in the spirit of Kestra's ``kestra:///`` URIs::

    storage://<namespace as folders>/<flow id>/executions/<execution id>/tasks/<task id>/<task run id>/<file>

so every file of an execution shares one prefix and can be listed or deleted together.
"""

from __future__ import annotations

import re

from harrier.storage.exceptions import InvalidStorageUri

__all__ = ["SCHEME", "execution_prefix", "parse_uri", "task_file_uri"]

SCHEME = "storage://"
# A segment is anything but a separator; `.` and `..` are refused so a URI cannot climb out.
_FORBIDDEN = {"", ".", ".."}
_UNSAFE = re.compile(r"[\x00\\]")


def execution_prefix(namespace: str, flow_id: str, execution_id: str) -> str:
    """The URI prefix shared by every file of one execution (ends with `/`)."""
    parts = [*namespace.split("."), flow_id, "executions", execution_id]
    return SCHEME + "/".join(_checked(part, "URI") for part in parts) + "/"


def task_file_uri(namespace: str, flow_id: str, execution_id: str, task_id: str, task_run_id: str, name: str) -> str:
    """The URI of file `name` written by one task run; `name` may hold sub-folders (`out/a.csv`)."""
    tail = "/".join(_checked(part, f"file name {name!r}") for part in name.split("/"))
    return f"{execution_prefix(namespace, flow_id, execution_id)}tasks/{_checked(task_id, 'task id')}/{_checked(task_run_id, 'task run id')}/{tail}"


def parse_uri(uri: str) -> tuple[str, ...]:
    """The path segments of a `storage://` URI; `InvalidStorageUri` says what is wrong."""
    if not isinstance(uri, str) or not uri.startswith(SCHEME):
        raise InvalidStorageUri(f"{uri!r} is not an internal storage URI: it must start with {SCHEME}")
    body = uri[len(SCHEME) :]
    if body.endswith("/"):
        body = body[:-1]
    return tuple(_checked(part, f"URI {uri!r}") for part in body.split("/"))


def _checked(part: str, where: str) -> str:
    if part in _FORBIDDEN or _UNSAFE.search(part):
        raise InvalidStorageUri(f"{where}: segment {part!r} is not allowed (empty, '.', '..', NUL or backslash)")
    return part
