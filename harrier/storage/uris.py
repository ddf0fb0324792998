"""Internal storage URIs: where a file lives, in Kestra's ``kestra:///`` form.

Layout, Kestra's (``StorageContext``)::

    kestra:///<namespace as folders>/<flow id>/executions/<execution id>/tasks/<task id>/<task run id>/<file>
    kestra:///<namespace as folders>/<flow id>/executions/<execution id>/inputs/<input id>/<file>
    kestra:///<namespace as folders>/_files/<path>                 (namespace files)

so every file of an execution shares one prefix and can be listed or deleted together.
Harrier's earlier ``storage://`` scheme is still read (same layout after the scheme); every
URI Harrier writes uses ``kestra:///``. Flow and task ids are used as written, where Kestra
slugifies them (lower case): a URI is only ever compared with one built here.
"""

from __future__ import annotations

import re

from harrier.storage.exceptions import InvalidStorageUri

__all__ = [
    "LEGACY_SCHEME",
    "SCHEME",
    "execution_prefix",
    "input_file_uri",
    "is_storage_uri",
    "namespace_files_prefix",
    "normalize_uri",
    "parse_uri",
    "task_file_uri",
]

SCHEME = "kestra:///"
LEGACY_SCHEME = "storage://"
_SCHEMES = (SCHEME, LEGACY_SCHEME)
NAMESPACE_FILES = "_files"
# A segment is anything but a separator; `.` and `..` are refused so a URI cannot climb out.
_FORBIDDEN = {"", ".", ".."}
_UNSAFE = re.compile(r"[\x00\\]")


def execution_prefix(namespace: str, flow_id: str, execution_id: str) -> str:
    """The URI prefix shared by every file of one execution (ends with `/`)."""
    parts = [*namespace.split("."), flow_id, "executions", execution_id]
    return SCHEME + "/".join(_checked(part, "URI") for part in parts) + "/"


def namespace_files_prefix(namespace: str) -> str:
    """The URI prefix of the namespace's files (ends with `/`)."""
    return SCHEME + "/".join(_checked(part, "namespace") for part in [*namespace.split("."), NAMESPACE_FILES]) + "/"


def task_file_uri(namespace: str, flow_id: str, execution_id: str, task_id: str, task_run_id: str, name: str) -> str:
    """The URI of file `name` written by one task run; `name` may hold sub-folders (`out/a.csv`)."""
    return f"{execution_prefix(namespace, flow_id, execution_id)}tasks/{_checked(task_id, 'task id')}/{_checked(task_run_id, 'task run id')}/{_tail(name)}"


def input_file_uri(namespace: str, flow_id: str, execution_id: str, input_id: str, name: str) -> str:
    """The URI of the file uploaded for FILE input `input_id`."""
    return f"{execution_prefix(namespace, flow_id, execution_id)}inputs/{_checked(input_id, 'input id')}/{_tail(name)}"


def is_storage_uri(value: object) -> bool:
    """True for a string in either scheme (not checked further)."""
    return isinstance(value, str) and value.startswith(_SCHEMES)


def normalize_uri(uri: str) -> str:
    """`uri` in the ``kestra:///`` scheme, each segment checked (`InvalidStorageUri`)."""
    return SCHEME + "/".join(parse_uri(uri))


def parse_uri(uri: str) -> tuple[str, ...]:
    """The path segments of an internal storage URI; `InvalidStorageUri` says what is wrong."""
    if not is_storage_uri(uri):
        raise InvalidStorageUri(f"{uri!r} is not an internal storage URI: it must start with {SCHEME}")
    body = uri[len(SCHEME if uri.startswith(SCHEME) else LEGACY_SCHEME) :]
    if body.endswith("/"):
        body = body[:-1]
    return tuple(_checked(part, f"URI {uri!r}") for part in body.split("/"))


def _tail(name: str) -> str:
    return "/".join(_checked(part, f"file name {name!r}") for part in name.split("/"))


def _checked(part: str, where: str) -> str:
    if part in _FORBIDDEN or _UNSAFE.search(part):
        raise InvalidStorageUri(f"{where}: segment {part!r} is not allowed (empty, '.', '..', NUL or backslash)")
    return part
