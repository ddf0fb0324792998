"""The HTTP tasks: Request and Download."""

from __future__ import annotations

from typing import Any, ClassVar

from harrier.core.properties import DynBool, DynDict, DynStr
from harrier.core.tasks.base import Task

__all__ = ["Download", "Request"]


class Request(Task):
    """Send an HTTP request to `uri`; outputs carry the status code, headers and body."""

    type_name: ClassVar[str] = "Request"
    # `io.kestra.plugin.fs.http.Request` is where Kestra kept it before the core plugin.
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.http.Request", "io.kestra.plugin.fs.http.Request")

    uri: DynStr
    method: DynStr = "GET"
    body: DynStr | None = None
    headers: DynDict | None = None
    form_data: DynDict | None = None
    content_type: DynStr | None = None
    options: dict[str, Any] | None = None
    allow_failed: DynBool = False
    encrypt_body: bool = False


class Download(Request):
    """Download `uri` into internal storage: outputs `uri` (the stored file), `code`, `length`
    and `headers`."""

    type_name: ClassVar[str] = "http.Download"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.http.Download", "io.kestra.plugin.fs.http.Download")

    fail_on_empty_response: DynBool = True
    save_as: DynStr | None = None
