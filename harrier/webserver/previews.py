"""File previews in Kestra's FileRender shape: ``{extension, type, content, maxLine, truncated}``.

As Kestra's webserver: ``.ion`` files are a LIST of their first rows, ``.md`` MARKDOWN text,
everything else TEXT, its first lines in the asked encoding (and at most 2 MiB of them). Images
and PDFs, which Kestra shows inline, are TEXT here.
"""

from __future__ import annotations

import codecs
import itertools
from typing import IO, Any

from harrier.storage.ion import InvalidIon, iter_lines
from harrier.webserver.exceptions import Unprocessable

__all__ = ["INITIAL_ROWS", "MAX_ROWS", "preview"]

# Kestra's kestra.server.preview.initial-rows and max-rows.
INITIAL_ROWS = 100
MAX_ROWS = 5000
_MAX_TEXT_BYTES = 2 * 1024 * 1024


def preview(name: str, stream: IO[bytes], max_rows: int | None, encoding: str) -> dict[str, Any]:
    """The preview of the file `name` read from `stream` (not closed here)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    rows = INITIAL_ROWS if max_rows is None else max(1, min(max_rows, MAX_ROWS))
    if extension == "ion":
        try:
            values = list(itertools.islice(iter_lines(stream), rows + 1))
        except InvalidIon as exc:
            raise Unprocessable(f"{name}: {exc}") from None
        return _render(extension, "LIST", values[:rows], rows, len(values) > rows)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise Unprocessable(f"Unable to preview using encoding '{encoding}'") from None
    text, truncated = _first_lines(stream, encoding, rows)
    return _render(extension, "MARKDOWN" if extension == "md" else "TEXT", text, rows, truncated)


def _first_lines(stream: IO[bytes], encoding: str, rows: int) -> tuple[str, bool]:
    # Never more than 2 MiB read, whatever the lines: one line can be the whole file.
    head = stream.read(_MAX_TEXT_BYTES + 1)
    cut = len(head) > _MAX_TEXT_BYTES
    lines = head[:_MAX_TEXT_BYTES].decode(encoding, errors="replace").splitlines()
    truncated = cut or len(lines) > rows
    return "\n".join(lines[:rows]), truncated


def _render(extension: str, kind: str, content: Any, rows: int, truncated: bool) -> dict[str, Any]:
    return {"extension": extension, "type": kind, "content": content, "maxLine": rows, "truncated": truncated}
