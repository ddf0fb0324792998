"""The storage tasks: Concat, Delete, Size, Reverse, Split, PurgeCurrentExecutionFiles,
FilterItems, DeduplicateItems, LocalFiles.

Every URI they read is checked as `read()` checks it (the execution's own files, its parent's,
its namespace's). New files are written to the task run's folder in internal storage, named
after the source (`data-0.csv`, `data-1.csv` for a split), and streamed, never held whole: a
file of any size costs the worker a buffer, except Reverse, which holds the file's lines,
and DeduplicateItems, which holds one key per distinct item.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import orjson

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions import render_text, to_text
from harrier.core.tasks.storage import (
    Concat,
    DeduplicateItems,
    Delete,
    FilterItems,
    LocalFiles,
    PurgeCurrentExecutionFiles,
    Reverse,
    Size,
    Split,
)
from harrier.storage.exceptions import StorageFileNotFound
from harrier.storage.ion import InvalidIon, dump_line, iter_lines
from harrier.storage.uris import is_storage_uri
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure
from harrier.worker.tasks.fail import is_truthy
from harrier.worker.variables import build_variables

__all__ = [
    "STORAGE_RUNS",
    "run_concat",
    "run_deduplicate_items",
    "run_delete",
    "run_filter_items",
    "run_local_files",
    "run_purge_current_execution_files",
    "run_reverse",
    "run_size",
    "run_split",
]

_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_BYTES = re.compile(r"^\s*(\d+)\s*([KMGT]?B?)\s*$", re.IGNORECASE)


def run_concat(task: Concat, context: RunContext) -> dict[str, Any]:
    """One file of every file of `files`, in order, `separator` after each."""
    files = task.files
    if isinstance(files, str):
        try:
            files = orjson.loads(files)
        except orjson.JSONDecodeError:
            files = [files]  # One URI rendered as text.
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise TaskFailure("property files: expected a list of internal storage URIs (or a JSON string of one)")
    separator = task.separator.encode() if task.separator is not None else b""
    target = _scratch(context, "concat" + str(task.extension))
    with target.open("wb") as out:
        for index, uri in enumerate(files):
            with _open(context, uri, f"files[{index}]") as source:
                shutil.copyfileobj(source, out)
            out.write(separator)
    return {"uri": context.store_file(target.name, target)}


def run_delete(task: Delete, context: RunContext) -> dict[str, Any]:
    """Delete one file; `deleted` says whether there was one."""
    uri = context.readable(task.uri, "uri")
    deleted = context.storage.delete(uri)
    if not deleted and is_truthy(task.error_on_missing):
        raise TaskFailure(f"no file stored at {task.uri}")
    return {"uri": task.uri, "deleted": deleted}


def run_size(task: Size, context: RunContext) -> dict[str, Any]:
    """The file's size in bytes."""
    uri = context.readable(task.uri, "uri")
    try:
        return {"size": context.storage.size(uri)}
    except StorageFileNotFound:
        raise TaskFailure(f"uri: no file stored at {task.uri}") from None


def run_reverse(task: Reverse, context: RunContext) -> dict[str, Any]:
    """The lines of `from`, last first."""
    separator = str(task.separator).encode()
    with _open(context, task.from_, "from") as source:
        data = source.read()
    parts = data.split(separator)
    if parts and parts[-1] == b"":
        parts.pop()  # The separator ends the last line rather than starting an empty one.
    target = _scratch(context, _name_of(task.from_))
    with target.open("wb") as out:
        for part in reversed(parts):
            out.write(part + separator)
    return {"uri": context.store_file(target.name, target)}


def run_split(task: Split, context: RunContext) -> dict[str, Any]:
    """`uris`: the parts, in order."""
    given = [name for name, value in (("bytes", task.bytes), ("partitions", task.partitions), ("rows", task.rows)) if value is not None]
    if len(given) != 1:
        raise TaskFailure(f"set exactly one of bytes, partitions and rows (got {', '.join(given) or 'none'})")
    separator = str(task.separator).encode()
    stem, dot, extension = _name_of(task.from_).rpartition(".")
    if not dot:
        stem, extension = extension, ""
    paths: list[Path] = []

    def part(index: int) -> Path:
        while len(paths) <= index:
            paths.append(_scratch(context, f"{stem}-{len(paths)}{dot}{extension}"))
        return paths[index]

    with _open(context, task.from_, "from") as source, ExitStack() as files:
        outs: dict[int, IO[bytes]] = {}

        def write(index: int, line: bytes) -> None:
            if index not in outs:
                outs[index] = files.enter_context(part(index).open("wb"))
            outs[index].write(line)

        if task.partitions is not None:
            count = _positive(task.partitions, "partitions")
            for number, line in enumerate(_lines(source, separator)):
                write(number % count, line)
        elif task.rows is not None:
            rows = _positive(task.rows, "rows")
            for number, line in enumerate(_lines(source, separator)):
                write(number // rows, line)
        else:
            limit = _bytes(str(task.bytes))
            index, size = 0, 0
            for line in _lines(source, separator):
                if size and size + len(line) > limit:
                    index, size = index + 1, 0
                write(index, line)
                size += len(line)
    return {"uris": [context.store_file(path.name, path) for path in paths]}


def run_purge_current_execution_files(task: PurgeCurrentExecutionFiles, context: RunContext) -> dict[str, Any]:
    """Delete every file of this execution; `uris` lists them."""
    record = context.record
    uris = context.storage.list_execution(record.namespace, record.flow_id, record.execution_id)
    return {"uris": [uri for uri in uris if context.storage.delete(uri)]}


def run_filter_items(task: FilterItems, context: RunContext) -> dict[str, Any]:
    """Items of `from` kept or dropped by `filterCondition`."""
    variables = build_variables(context.record)
    processed = dropped = 0
    target = _scratch(context, _ion_name(task.from_))
    with _open(context, task.from_, "from") as source, target.open("wb") as out:
        for item in _items(source):
            processed += 1
            try:
                rendered: str | None = render_text(task.filter_condition, _item_variables(variables, item), "filterCondition")
            except HarrierExpressionError as exc:
                if task.error_or_null_behavior == "FAIL":
                    raise TaskFailure(f"filterCondition failed on item {processed}: {exc}") from None
                rendered = None
            if rendered is None:
                keep = task.error_or_null_behavior == "INCLUDE"
            else:
                keep = _truthy(rendered) == (task.filter_type == "INCLUDE")
            if keep:
                out.write(dump_line(item))
            else:
                dropped += 1
    uri = context.store_file(target.name, target)
    return {"uri": uri, "processedItemsTotal": processed, "droppedItemsTotal": dropped}


def run_deduplicate_items(task: DeduplicateItems, context: RunContext) -> dict[str, Any]:
    """Of the items sharing a key, the last one, in the order of the file (two passes)."""
    variables = build_variables(context.record)

    def key_of(number: int, item: Any) -> str:
        try:
            return render_text(task.expr, _item_variables(variables, item), "expr")
        except HarrierExpressionError as exc:
            raise TaskFailure(f"expr failed on item {number}: {exc}") from None

    last: dict[str, int] = {}
    with _open(context, task.from_, "from") as source:
        for number, item in enumerate(_items(source)):
            last[key_of(number + 1, item)] = number
    processed = dropped = 0
    target = _scratch(context, _ion_name(task.from_))
    with _open(context, task.from_, "from") as source, target.open("wb") as out:
        for number, item in enumerate(_items(source)):
            processed += 1
            if last[key_of(number + 1, item)] == number:
                out.write(dump_line(item))
            else:
                dropped += 1
    uri = context.store_file(target.name, target)
    return {"uri": uri, "numKeys": len(last), "processedItemsTotal": processed, "droppedItemsTotal": dropped}


def run_local_files(task: LocalFiles, context: RunContext) -> dict[str, Any]:
    """Write `inputs` into the working directory, store what matches `outputs`."""
    inputs = task.inputs
    if isinstance(inputs, str):
        try:
            inputs = orjson.loads(inputs)
        except orjson.JSONDecodeError:
            inputs = None
    if inputs is not None and not isinstance(inputs, dict):
        raise TaskFailure("property inputs: expected a mapping of file names to contents (or a JSON string of one)")
    folder = context.working_dir()
    for name, content in (inputs or {}).items():
        target = (folder / str(name)).resolve()
        if folder.resolve() not in target.parents:
            raise TaskFailure(f"property inputs: {name!r} points outside the working directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        if is_storage_uri(content):
            context.fetch_file(content, target, f"inputs.{name}")
        else:
            target.write_text(content if isinstance(content, str) else to_text(content), encoding="utf-8")
    uris: dict[str, str] = {}
    for pattern in task.outputs or ():
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                uris[name] = context.store_file(name, path)
    return {"uris": uris}


def _open(context: RunContext, uri: Any, where: str) -> IO[bytes]:
    if not isinstance(uri, str):
        raise TaskFailure(f"property {where}: expected an internal storage URI, got {to_text(uri)!r}")
    checked = context.readable(uri, where)
    try:
        return context.storage.open(checked)
    except StorageFileNotFound:
        raise TaskFailure(f"{where}: no file stored at {uri}") from None


def _scratch(context: RunContext, name: str) -> Path:
    return context.working_dir() / name


def _name_of(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1] or "file"


def _ion_name(uri: str) -> str:
    stem = _name_of(uri).rsplit(".", 1)[0]
    return f"{stem}.ion"


def _items(source: IO[bytes]) -> Iterator[Any]:
    try:
        yield from iter_lines(source)
    except InvalidIon as exc:
        raise TaskFailure(f"from: {exc}") from None


def _item_variables(variables: Mapping[str, Any], item: Any) -> dict[str, Any]:
    # As Kestra: the item's fields are variables, beside the execution's.
    return {**variables, **item} if isinstance(item, Mapping) else {**variables, "item": item}


def _truthy(text: str) -> bool:
    # Kestra's TruthUtils: false, 0, -0 and the empty string are false.
    return text.strip().lower() not in ("", "false", "0", "-0", "0.0", "-0.0")


def _lines(source: IO[bytes], separator: bytes) -> Iterator[bytes]:
    """The records of `source`, each with its separator (the last one too)."""
    pending = b""
    while chunk := source.read(1024 * 1024):
        pending += chunk
        *complete, pending = pending.split(separator)
        for line in complete:
            yield line + separator
    if pending:
        yield pending + separator


def _positive(value: Any, where: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise TaskFailure(f"property {where}: expected a positive integer, got {to_text(value)!r}")
    return number


def _bytes(text: str) -> int:
    match = _BYTES.match(text)
    if match is None or int(match.group(1)) < 1:
        raise TaskFailure(f"property bytes: {text!r} is not a size such as 512KB or 10MB")
    unit = match.group(2).upper()
    return int(match.group(1)) * _UNITS[unit if unit.endswith("B") or not unit else unit + "B"]


STORAGE_RUNS = {
    Concat.type_name: run_concat,
    Delete.type_name: run_delete,
    Size.type_name: run_size,
    Reverse.type_name: run_reverse,
    Split.type_name: run_split,
    PurgeCurrentExecutionFiles.type_name: run_purge_current_execution_files,
    FilterItems.type_name: run_filter_items,
    DeduplicateItems.type_name: run_deduplicate_items,
    LocalFiles.type_name: run_local_files,
}
