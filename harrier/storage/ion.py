"""Kestra's ION-lines files: one Amazon Ion text value per line, as Kestra's FileSerde writes.

Values come back as plain Python data (Ion's decimals as floats, timestamps as ISO-8601
text, symbols as strings), the shapes JSON and expressions know. What is written is JSON, one
value a line: JSON is Ion text, so Kestra's reader takes it as is. A line is read as JSON
first (orjson, about 1 µs) and only parsed as Ion when that fails (amazon-ion's pure-Python
reader, about 500 µs a line), so files Harrier wrote read fast and Kestra's still read.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import orjson
from amazon.ion import simpleion
from amazon.ion.core import IonType
from amazon.ion.exceptions import IonException

from harrier.storage.exceptions import StorageError

__all__ = ["InvalidIon", "dump_line", "dump_lines", "iter_lines", "plain"]


class InvalidIon(StorageError, ValueError):
    """A line of an ION file does not parse; the message gives the line number."""


def iter_lines(stream: IO[bytes]) -> Iterator[Any]:
    """The values of an ION-lines file, one per non-empty line, as plain data."""
    for number, raw in enumerate(stream, 1):
        line = raw.strip()
        if not line:
            continue
        try:
            yield orjson.loads(line)
            continue
        except orjson.JSONDecodeError:
            pass
        try:
            yield plain(simpleion.loads(line.decode("utf-8")))
        except (IonException, UnicodeDecodeError, ValueError) as exc:
            raise InvalidIon(f"line {number} is not an Ion value: {exc}") from None


def dump_line(value: Any) -> bytes:
    """One value as an ION line (with its newline)."""
    return orjson.dumps(value, default=str) + b"\n"


def dump_lines(values: Iterable[Any]) -> Iterator[bytes]:
    """Each value as an ION line."""
    for value in values:
        yield dump_line(value)


def plain(value: Any) -> Any:
    """An Ion value as plain Python data."""
    ion_type = getattr(value, "ion_type", None)
    if value is None or ion_type is IonType.NULL or type(value).__name__ == "IonPyNull":
        return None
    if ion_type is IonType.BOOL or isinstance(value, bool):
        return bool(value)
    if ion_type is IonType.SYMBOL:
        return getattr(value, "text", None) or str(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (float, decimal.Decimal)):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        return str(value)
    return value
