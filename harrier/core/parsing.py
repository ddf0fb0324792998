"""YAML loading that remembers where every key and value came from.

The document is composed into PyYAML nodes (C loader when available) and turned into plain
Python values here, recording the line and column of each node by its path
(`("tasks", 2, "then", 0, "message")`), so validation can point at the exact spot.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

from harrier.core.exceptions import Problem

__all__ = ["Document", "Marks", "Path", "format_path", "load_document"]

Path = tuple[str | int, ...]



class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader with YAML 1.2 scalars, as Kestra (Jackson) reads them: `yes`, `no`, `on`,
    `off`, `12:30`, `2024-01-31` and `1_000` stay strings."""


_REPLACED = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)
_SIMPLE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_STR = "tag:yaml.org,2002:str"
# Alias expansion can blow up exponentially ("billion laughs"); a flow never needs this many.
MAX_NODES = 200_000


def format_path(path: Path) -> str:
    """Render a path tuple as `tasks[2].then[0].message`."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _SIMPLE_KEY.match(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{part!r}]")
    return "".join(out)


@dataclass(slots=True)
class Marks:
    """1-based (line, column) of each value and each mapping key, by path."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def of_value(self, path: Path) -> tuple[int, int]:
        """Where the value at `path` starts, or its nearest known ancestor."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return (1, 1)

    def of_key(self, path: Path) -> tuple[int, int]:
        """Where the key naming `path` starts (falls back to the value's position)."""
        return self.keys.get(path) or self.of_value(path)


@dataclass(slots=True)
class Document:
    """A loaded YAML document: its data, where things are, and problems found while loading."""

    file: str
    data: Any
    marks: Marks
    problems: list[Problem]


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.marks = Marks()
        self.problems: list[Problem] = []
        self.constructor = yaml.constructor.SafeConstructor()
        self.count = 0
        self.active: set[int] = set()

    def problem(self, node: yaml.Node, path: Path, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.file, mark.line + 1, mark.column + 1, format_path(path), message))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(node)
        self.marks.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR:
                return node.value
            return self.constructor.construct_object(node, deep=True)
        if id(node) in self.active:
            self.problem(node, path, "recursive YAML alias is not allowed")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return self.build_mapping(cast(yaml.MappingNode, node), path)
        finally:
            self.active.discard(id(node))

    def build_mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        self.constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, path) if not isinstance(key_node, yaml.ScalarNode) else (
                self.constructor.construct_object(key_node, deep=True)
            )
            if not isinstance(key, Hashable) or isinstance(key, (list, dict)):
                self.problem(key_node, path, "a mapping key must be a plain value")
                continue
            if key is None:
                key = "null"
            child = (*path, key if isinstance(key, (str, int)) and not isinstance(key, bool) else str(key))
            if key in result:
                self.problem(key_node, child, f"duplicate key {key!r}")
            self.marks.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, child)
        return result


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def load_document(text: str, file: str = "<string>") -> Document:
    """Load one YAML document from `text`; syntax errors become problems, never exceptions."""
    builder = _Builder(file)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "malformed document"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        problem = Problem(file, line, column, "", f"invalid YAML: {what}{context}")
        return Document(file, None, builder.marks, [problem])
    except yaml.YAMLError as exc:
        return Document(file, None, builder.marks, [Problem(file, 1, 1, "", f"invalid YAML: {exc}")])
    if root is None:
        return Document(file, None, builder.marks, [])
    try:
        data = builder.build(root, ())
    except _TooLarge as exc:
        builder.problem(exc.node, (), f"document expands to more than {MAX_NODES} YAML nodes")
        return Document(file, None, builder.marks, builder.problems)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        return Document(file, None, builder.marks, [Problem(file, 1, 1, "", f"invalid YAML value: {exc}")])
    return Document(file, data, builder.marks, builder.problems)
