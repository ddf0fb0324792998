"""Kestra's storage tasks (`io.kestra.plugin.core.storage.*`): they read and write files of
internal storage. Files of items are Kestra's ION lines, one value a line."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from harrier.core.properties import DynBool, DynInt, DynStr
from harrier.core.tasks.base import Task

__all__ = [
    "Concat",
    "DeduplicateItems",
    "Delete",
    "FilterItems",
    "LocalFiles",
    "PurgeCurrentExecutionFiles",
    "Reverse",
    "Size",
    "Split",
]


def _names(name: str) -> tuple[str, ...]:
    return (f"io.kestra.plugin.core.storage.{name}", f"io.kestra.core.tasks.storages.{name}")


class Concat(Task):
    """Concatenate `files` (a list of URIs, or a JSON string of one) into one new file."""

    type_name: ClassVar[str] = "storage.Concat"
    type_aliases: ClassVar[tuple[str, ...]] = _names("Concat")

    files: Any
    separator: DynStr | None = None
    extension: DynStr = ".tmp"


class Delete(Task):
    """Delete the file `uri`; with `errorOnMissing`, a missing file fails the task."""

    type_name: ClassVar[str] = "storage.Delete"
    type_aliases: ClassVar[tuple[str, ...]] = _names("Delete")

    uri: DynStr
    error_on_missing: DynBool = False


class Size(Task):
    """The size in bytes of the file `uri`."""

    type_name: ClassVar[str] = "storage.Size"
    type_aliases: ClassVar[tuple[str, ...]] = _names("Size")

    uri: DynStr


class Reverse(Task):
    """A new file with the lines (split on `separator`) of `from` in reverse order."""

    type_name: ClassVar[str] = "storage.Reverse"
    type_aliases: ClassVar[tuple[str, ...]] = _names("Reverse")

    from_: DynStr = Field(alias="from")
    separator: DynStr = "\n"


class Split(Task):
    """Split `from` into files of at most `bytes` (`10MB`), of `rows` lines, or into `partitions`
    files (lines dealt round-robin); exactly one of the three."""

    type_name: ClassVar[str] = "storage.Split"
    type_aliases: ClassVar[tuple[str, ...]] = _names("Split")

    from_: DynStr = Field(alias="from")
    bytes: DynStr | None = None
    partitions: DynInt | None = None
    rows: DynInt | None = None
    separator: DynStr = "\n"


class PurgeCurrentExecutionFiles(Task):
    """Delete every file of the current execution."""

    type_name: ClassVar[str] = "storage.PurgeCurrentExecutionFiles"
    type_aliases: ClassVar[tuple[str, ...]] = (*_names("PurgeCurrentExecutionFiles"), "io.kestra.core.tasks.storages.Purge")


class FilterItems(Task):
    """Keep (INCLUDE) or drop (EXCLUDE) the items of the ION file `from` for which
    `filterCondition`, rendered with the item's fields, is true."""

    type_name: ClassVar[str] = "storage.FilterItems"
    type_aliases: ClassVar[tuple[str, ...]] = _names("FilterItems")
    # Rendered per item by the task, with the item's fields as variables.
    unrendered: ClassVar[frozenset[str]] = frozenset({"filterCondition"})

    from_: DynStr = Field(alias="from")
    filter_condition: str
    filter_type: Literal["INCLUDE", "EXCLUDE"] = "INCLUDE"
    error_or_null_behavior: Literal["FAIL", "INCLUDE", "EXCLUDE"] = "FAIL"


class DeduplicateItems(Task):
    """Keep, of the items of the ION file `from` that share a key (`expr`, rendered with the
    item's fields), the last one."""

    type_name: ClassVar[str] = "storage.DeduplicateItems"
    type_aliases: ClassVar[tuple[str, ...]] = _names("DeduplicateItems")
    unrendered: ClassVar[frozenset[str]] = frozenset({"expr"})

    from_: DynStr = Field(alias="from")
    expr: str


class LocalFiles(Task):
    """Deprecated in Kestra for a WorkingDirectory's inputFiles and outputFiles, still accepted:
    write `inputs` (text, or a storage URI's content) into the working directory, then store
    the files matching `outputs` (`outputs.<id>.uris`, name -> URI). Inside a WorkingDirectory,
    that is the directory its siblings share."""

    type_name: ClassVar[str] = "storage.LocalFiles"
    type_aliases: ClassVar[tuple[str, ...]] = _names("LocalFiles")

    inputs: Any = None
    outputs: list[str] | None = None
