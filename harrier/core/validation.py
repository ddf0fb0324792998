"""Turn a YAML document into a Flow, collecting every problem in one pass.

Task and trigger mappings are dispatched on their `type` through the registry and validated
against that type's own model, so each problem is reported once, at the exact key or value,
with a path like `tasks[2].then[0].message`.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable
from pathlib import Path as FilePath
from typing import Any

from pydantic import BaseModel, ValidationError

from harrier.core.exceptions import FlowValidationError, HarrierExpressionError, Problem
from harrier.core.expressions.render import check_syntax
from harrier.core.flows import Flow
from harrier.core.parsing import Document, Path, format_path, load_document
from harrier.core.plugin_defaults import apply_defaults, defaults_in, defaults_key
from harrier.core.properties import describe
from harrier.core.registry import Family, Registry, default_registry
from harrier.core.tasks.base import Plugin, Task
from harrier.core.tasks.flowable import Subflow
from harrier.core.transitions.needs import needs_of
from harrier.core.tree import mentions, task_fields
from harrier.core.triggers import Trigger

__all__ = ["parse_flow", "validate_document", "validate_files", "validate_text"]

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_BOUNDS = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"), "less_than_equal": ("<=", "le"), "less_than": ("<", "lt")}


class _Collector:
    """Problems of one document, and the task ids seen so far (for duplicates)."""

    def __init__(self, document: Document, registry: Registry) -> None:
        self.document = document
        self.registry = registry
        self.problems: list[Problem] = list(document.problems)
        self.task_ids: dict[str, Path] = {}
        self.defaults = defaults_in(document.data)
        self.defaults_key = defaults_key(document.data)
        self.templates: list[tuple[Path, str, bool]] = []

    def blame_defaults(self, first: int, path: Path, origins: dict[str, int]) -> None:
        """Point problems in properties set by `pluginDefaults` at the default that set them."""
        for i in range(first, len(self.problems)):
            problem = self.problems[i]
            for key, index in origins.items():
                where = format_path((*path, key))
                if problem.path == where or problem.path.startswith((where + ".", where + "[")):
                    line, column = self.document.marks.of_key((self.defaults_key, index, "values", key))
                    message = f"{problem.message} (set by {self.defaults_key}[{index}])"
                    self.problems[i] = Problem(problem.file, line, column, problem.path, message)
                    break

    def add(self, path: Path, message: str, *, at_key: bool = False) -> None:
        marks = self.document.marks
        line, column = marks.of_key(path) if at_key else marks.of_value(path)
        self.problems.append(Problem(self.document.file, line, column, format_path(path), message))


def _family_of(cls: type) -> Family | None:
    if issubclass(cls, Task):
        return "task"
    if issubclass(cls, Trigger):
        return "trigger"
    return None


def _dispatch(family: Family, data: Any, path: Path, out: _Collector) -> Plugin | None:
    if not isinstance(data, dict):
        out.add(path, f"expected a {family} mapping, got {describe(data)}")
        return None
    task_id = data.get("id")
    if family == "task" and isinstance(task_id, str):
        first = out.task_ids.get(task_id)
        if first is None:
            out.task_ids[task_id] = path
        else:
            out.add((*path, "id"), f"duplicate task id {task_id!r} (first used at {format_path(first)})")
    type_name = data.get("type")
    if type_name is None:
        out.add(path, "missing required property 'type'")
        return None
    if not isinstance(type_name, str):
        out.add((*path, "type"), f"expected a type name, got {describe(type_name)}")
        return None
    cls = out.registry.resolve(type_name, family)
    if cls is None:
        other: Family = "trigger" if family == "task" else "task"
        if out.registry.resolve(type_name, other) is not None:
            out.add((*path, "type"), f"{type_name!r} is a {other} type, not a {family} type")
            return None
        suggestion = out.registry.suggest(type_name, family)
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        out.add((*path, "type"), f"unknown {family} type {type_name!r}{hint}")
        return None
    data, origins = apply_defaults(data, cls, out.defaults)
    first_new = len(out.problems)
    for rel, message in cls.raw_problems(data):
        out.add((*path, *rel), message)
    built = _build_model(cls, data, path, out)
    if origins:
        out.blame_defaults(first_new, path, origins)
    return built  # type: ignore[return-value]


def _prepare(annotation: Any, value: Any, path: Path, out: _Collector) -> tuple[Any, bool]:
    """Build the tasks inside `value` (typed `annotation`); return (value, ok)."""
    if value is None or not mentions(annotation, Plugin):
        return value, True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # what mentions a Plugin is one
        family = _family_of(annotation)
        if family is not None:
            plugin = _dispatch(family, value, path, out)
            return (plugin, True) if plugin is not None else (annotation.model_construct(), False)
        built = _build_model(annotation, value, path, out)
        return (built, True) if built is not None else (annotation.model_construct(), False)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list and isinstance(value, list):
        pairs = [_prepare(args[0], item, (*path, i), out) for i, item in enumerate(value)]
        return [v for v, _ in pairs], all(ok for _, ok in pairs)
    if origin is dict and isinstance(value, dict):
        pairs_d = {k: _prepare(args[1], item, (*path, k), out) for k, item in value.items()}
        return {k: v for k, (v, _) in pairs_d.items()}, all(ok for _, ok in pairs_d.values())
    if origin is not list and origin is not dict:
        # A union such as `list[Task] | None`: the member that holds tasks decides.
        for arg in args:
            if mentions(arg, Plugin):
                return _prepare(arg, value, path, out)
    return value, True


def _build_model(cls: type[BaseModel], data: Any, path: Path, out: _Collector) -> BaseModel | None:
    if not isinstance(data, dict):
        out.add(path, f"expected a mapping, got {describe(data)}")
        return None
    prepared = dict(data)
    ok = True
    for name, key in task_fields(cls, Plugin):
        if key in prepared:
            prepared[key], good = _prepare(cls.model_fields[name].annotation, prepared[key], (*path, key), out)
            ok = ok and good
    try:
        built = cls.model_validate(prepared)
    except ValidationError as exc:
        _report(cls, data, exc, path, out)
        return None
    return built if ok else None


def _strip_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Path, bool]:
    """Drop pydantic's union-member tags from `loc`; say whether the last part exists in data."""
    path: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif last:
            path.append(part)
            return tuple(path), False
    return tuple(path), True


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _known_keys(cls: type[BaseModel], loc: Path) -> list[str]:
    """The property names of the model at `loc` inside `cls`, for 'did you mean'."""
    model: type[BaseModel] | None = cls
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        model = _model_in(field.annotation) if field is not None else None
    return [f.alias or n for n, f in model.model_fields.items()] if model is not None else []


def _report(cls: type[BaseModel], data: Any, exc: ValidationError, base: Path, out: _Collector) -> None:
    seen: set[Path] = set()
    for error in exc.errors(include_url=False):
        rel, exists = _strip_loc(data, tuple(error["loc"]))
        if rel in seen:
            continue
        seen.add(rel)
        path = (*base, *rel)
        kind = error["type"]
        if kind == "extra_forbidden":
            key = rel[-1]
            close = difflib.get_close_matches(str(key), _known_keys(cls, rel[:-1]), n=1, cutoff=0.7)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            out.add(path, f"unknown property {key!r}{hint}", at_key=True)
        elif kind == "missing":
            out.add(path[:-1], f"missing required property {rel[-1]!r}")
        else:
            out.add(path if exists else path[:-1], _message(error))


def _message(error: Any) -> str:
    kind = error["type"]
    got = describe(error.get("input"))
    ctx = error.get("ctx") or {}
    if kind in ("enum", "literal_error"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(error.get("input")), choices, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"expected one of {', '.join(choices)}, got {got}{hint}"
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, got {got}"
    if kind in _BOUNDS:
        symbol, key = _BOUNDS[kind]
        return f"must be {symbol} {ctx.get(key)}, got {got}"
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"needs at least {minimum} items"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else f"must be at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _flow_problems(flow_data: dict[str, Any], out: _Collector) -> None:
    for section in ("inputs", "triggers", "outputs"):
        items = flow_data.get(section)
        if not isinstance(items, list):
            continue
        seen: dict[Any, int] = {}
        for i, item in enumerate(items):
            item_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item_id, str):
                continue
            if item_id in seen:
                out.add((section, i, "id"), f"duplicate {section[:-1]} id {item_id!r} (first used at {section}[{seen[item_id]}])")
            else:
                seen[item_id] = i


def _template_problems(value: Any, path: Path, out: _Collector, *, at_key: bool = False, own: bool = True) -> None:
    """Check every template string in the document (mapping keys too: they are rendered) so
    what cannot compile (bad syntax, an unknown filter, test or function) shows up now, not at
    run time. Templates that read this flow's task outputs (`own`) are kept for
    `_reference_problems`; a Subflow's `outputs` read its child's, triggers their upstream's."""
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            try:
                check_syntax(value)
            except HarrierExpressionError as exc:
                out.add(path, exc.reason, at_key=at_key)
                return
            if own and "outputs" in value:
                out.templates.append((path, value, at_key))
    elif isinstance(value, dict):
        child_outputs = _is_subflow(value, out)
        for key, item in value.items():
            mine = own and not (key == "outputs" and child_outputs) and not (path == () and key in _FOREIGN)
            _template_problems(key, (*path, key), out, at_key=True, own=mine)
            _template_problems(item, (*path, key), out, own=mine)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _template_problems(item, (*path, i), out, own=own)


# Flow sections whose templates read other executions' outputs, or apply to many flows' tasks.
_FOREIGN = frozenset({"triggers", "pluginDefaults", "taskDefaults"})


def _is_subflow(value: dict[Any, Any], out: _Collector) -> bool:
    type_name = value.get("type")
    cls = out.registry.resolve(type_name) if isinstance(type_name, str) else None
    return cls is not None and issubclass(cls, Subflow)


def _reference_problems(out: _Collector) -> None:
    """`outputs.<id>` naming no task of the flow: a typo that would fail only at run time."""
    known = out.task_ids
    for path, source, at_key in out.templates:
        named = needs_of([source]).outputs
        for task_id in sorted(named or ()):
            if task_id not in known:
                close = difflib.get_close_matches(task_id, list(known), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                out.add(path, f"outputs.{task_id} names no task of this flow{hint}", at_key=at_key)


def validate_document(document: Document, registry: Registry | None = None) -> tuple[Flow | None, list[Problem]]:
    """Validate a loaded document; return the Flow (None if any problem) and every problem."""
    out = _Collector(document, registry or default_registry())
    flow: Flow | None = None
    if document.data is None and not document.problems:
        out.add((), "the document is empty; a flow needs at least id, namespace and tasks")
    elif document.data is not None:
        built = _build_model(Flow, document.data, (), out)
        if isinstance(document.data, dict):
            _flow_problems(document.data, out)
        _template_problems(document.data, (), out)
        _reference_problems(out)
        flow = built if isinstance(built, Flow) else None
    problems = sorted(out.problems, key=lambda p: (p.line, p.column))
    return (flow if not problems else None), problems


def validate_text(text: str, file: str = "<string>", registry: Registry | None = None) -> tuple[Flow | None, list[Problem]]:
    """Load and validate flow YAML text; return the Flow (None if any problem) and the problems."""
    flow, problems = validate_document(load_document(text, file), registry)
    if flow is not None:
        flow._source = text
    return flow, problems


def parse_flow(text: str, file: str = "<string>", registry: Registry | None = None) -> Flow:
    """Parse flow YAML text into a Flow; raise FlowValidationError listing every problem."""
    flow, problems = validate_text(text, file, registry)
    if flow is None:
        raise FlowValidationError(problems)
    return flow


def validate_files(paths: Iterable[str | FilePath]) -> list[Problem]:
    """Validate flow files (what `harrier flow validate FILE...` runs); return all problems."""
    problems: list[Problem] = []
    for path in paths:
        name = str(path)
        try:
            text = FilePath(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, 1, 1, "", f"cannot read the file: {exc}"))
            continue
        problems.extend(validate_text(text, name)[1])
    return problems
