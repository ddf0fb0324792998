"""Execution inputs from a request body: a JSON object, or a form whose files go to storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from harrier.core.flows import Flow
from harrier.core.inputs import InputType
from harrier.storage.base import Storage
from harrier.storage.uris import input_file_uri
from harrier.webserver.exceptions import Unprocessable

__all__ = ["SuppliedInputs", "read_inputs", "store_files"]

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(slots=True)
class SuppliedInputs:
    """Input values as sent (strings from a form, JSON values) and the uploaded files."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, UploadFile] = field(default_factory=dict)


async def read_inputs(request: Request) -> SuppliedInputs:
    """Parse the body: empty, a JSON object of inputs, or a (multipart) form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORM_TYPES:
        supplied = SuppliedInputs()
        form = await request.form()
        for name, item in form.multi_items():
            if isinstance(item, UploadFile):
                supplied.files[name] = item
            else:
                supplied.values[name] = item
        return supplied
    body = await request.body()
    if not body.strip():
        return SuppliedInputs()
    try:
        values = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Unprocessable(f"the body is not valid JSON: {exc}") from None
    if type(values) is not dict:
        raise Unprocessable(
            f"the body must be a JSON object of inputs by name, got {type(values).__name__}"
        )
    return SuppliedInputs(values=values)


async def store_files(
    storage: Storage, flow: Flow, execution_id: str, files: dict[str, UploadFile]
) -> dict[str, str]:
    """Store the uploads of FILE inputs; return each input's ``kestra:///`` URI.

    A file sent for an input that is declared with another type is an error; files for
    undeclared names are ignored, as undeclared values are.
    """
    declared = {i.id: i for i in flow.inputs or []}
    uris: dict[str, str] = {}
    for name, upload in files.items():
        spec = declared.get(name)
        if spec is None:
            continue
        if spec.type is not InputType.FILE:
            raise Unprocessable(f"input {name!r}: a file was sent but the input is of type {spec.type.value}")
        uri = input_file_uri(flow.namespace, flow.id, execution_id, name, _file_name(upload))
        await run_in_threadpool(storage.put, uri, upload.file)
        uris[name] = uri
    return uris


def _file_name(upload: UploadFile) -> str:
    # Only the last path component of what the client called the file, never a folder walk.
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "")
    return name if name not in ("", ".", "..") else "upload"
