"""Rendering templates: compile once, render many times, keep native types.

`render(template, context)`:

- a string without `{{` or `{%` is returned as is, without touching Jinja;
- a template that is exactly one `{{ expression }}` returns the expression's Python value
  (`"{{ range(1, 160) }}"` is a list, `"{{ inputs.count }}"` an int);
- any other template renders to a string.

Compiled templates are cached by their source text. The context is any Mapping: only its
top-level keys are read up front, so values such as `outputs` can be lazy views.
"""

from __future__ import annotations

import difflib
import functools
import itertools
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

from jinja2 import TemplateSyntaxError, nodes
from jinja2.environment import Template
from jinja2.runtime import Context, Undefined

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions.environment import HarrierEnvironment, guard_tree, to_text
from harrier.core.expressions.functions import FILTERS, GLOBALS, REMOVED_FILTERS, REMOVED_GLOBALS, TESTS, set_renderer
from harrier.core.expressions.limits import LIMITS, check_printed_size, close_budget, open_budget
from harrier.core.expressions.pebble import translate

__all__ = ["ENVIRONMENT", "check_syntax", "compile_template", "parse_template", "render", "render_text", "render_value"]

ENVIRONMENT = HarrierEnvironment()
ENVIRONMENT.globals.update(GLOBALS)
ENVIRONMENT.filters.update(FILTERS)
ENVIRONMENT.tests.update(TESTS)
for _name in REMOVED_FILTERS:
    ENVIRONMENT.filters.pop(_name, None)
for _name in REMOVED_GLOBALS:
    ENVIRONMENT.globals.pop(_name, None)
_GLOBALS = dict(ENVIRONMENT.globals)

# Statement types and calls that can loop or recurse: templates with none of them cannot run
# long, so they skip setting up a budget.
_COSTLY = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.Call, nodes.FilterBlock)


class Compiled:
    """A compiled template: whether it yields a native value, and whether it needs a budget."""

    __slots__ = ("costly", "native", "source", "template")

    def __init__(self, source: str, template: Template, native: bool, costly: bool) -> None:
        self.source = source
        self.template = template
        self.native = native
        self.costly = costly


def _single_expression(tree: nodes.Template) -> nodes.Expr | None:
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    parts = [n for n in tree.body[0].nodes if not (isinstance(n, nodes.TemplateData) and not n.data.strip())]
    if len(parts) == 1 and not isinstance(parts[0], nodes.TemplateData):
        return parts[0]
    return None


@functools.lru_cache(maxsize=8192)
def compile_template(source: str) -> Compiled:
    """Compile `source` once (cached by text); raise HarrierExpressionError on bad syntax."""
    try:
        tree = guard_tree(parse_template(source), ENVIRONMENT)
        costly = any(True for _ in tree.find_all(_COSTLY))
        expression = _single_expression(tree)
        if expression is not None:
            tree = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expression)], lineno=1)
            tree.set_environment(ENVIRONMENT)
        template = ENVIRONMENT.from_string(tree)
    except TemplateSyntaxError as exc:
        _syntax_error(source, exc)
    except RecursionError:
        raise HarrierExpressionError(f"invalid expression {_short(source)}: nested too deeply") from None
    return Compiled(source, template, expression is not None, costly)


def parse_template(source: str) -> nodes.Template:
    """The Jinja syntax tree of a template, after Kestra's `??` and `? :` are rewritten.

    Use this rather than `ENVIRONMENT.parse` to inspect templates (what variables they read):
    raw Jinja rejects Pebble's operators. Raises jinja2.TemplateSyntaxError.
    """
    return ENVIRONMENT.parse(translate(source))


@functools.lru_cache(maxsize=8192)
def check_syntax(source: str) -> None:
    """Raise HarrierExpressionError if `source` cannot compile: bad syntax, or a filter, test
    or function that does not exist (parse and a walk of the tree, no codegen).

    Jinja itself lets an unknown filter or test inside `{% if %}` or `x if c else y` pass
    until it runs, and a call of an unknown name fail only when it runs; here both are
    refused wherever they stand, as Pebble refuses them at parse time.
    """
    try:
        tree = parse_template(source)
    except TemplateSyntaxError as exc:
        _syntax_error(source, exc)
    except RecursionError:
        raise HarrierExpressionError(f"invalid expression {_short(source)}: nested too deeply") from None
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind, known = ("filter", ENVIRONMENT.filters) if isinstance(node, nodes.Filter) else ("test", ENVIRONMENT.tests)
        if node.name not in known:
            _unknown_name(source, kind, node.name, known)
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")} | _JINJA_LOCALS
    local |= {m.name for m in tree.find_all(nodes.Macro)}
    for call in tree.find_all(nodes.Call):
        name = call.node.name if isinstance(call.node, nodes.Name) else None
        if name is not None and name not in ENVIRONMENT.globals and name not in local:
            _unknown_name(source, "function", name, ENVIRONMENT.globals)


# Names Jinja binds itself inside macros and call blocks.
_JINJA_LOCALS = frozenset({"caller", "varargs", "kwargs", "loop"})


def _unknown_name(source: str, kind: str, name: str, known: Mapping[str, Any]) -> NoReturn:
    public = [n for n in known if not n.startswith("harrier_")]
    close = difflib.get_close_matches(name, public, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise HarrierExpressionError(f"invalid expression {_short(source)}: no {kind} named {name!r}{hint}")


def _syntax_error(source: str, exc: TemplateSyntaxError) -> NoReturn:
    line = f" (template line {exc.lineno})" if "\n" in source.strip() else ""
    reason = (exc.message or "syntax error").rstrip(".")
    reason = reason[:1].lower() + reason[1:]
    raise HarrierExpressionError(f"invalid expression {_short(source)}: {reason}{line}") from None


def _short(source: str) -> str:
    return repr(source if len(source) <= 60 else source[:57] + "...")


def _run(compiled: Compiled, context: Mapping[str, Any]) -> Any:
    template = compiled.template
    # Template.new_context would merge through a ChainMap of globals on every call; one flat
    # dict merge is several times cheaper on this hot path.
    ctx = Context(ENVIRONMENT, {**_GLOBALS, **context}, template.name, template.blocks)
    if compiled.native:
        for _ in template.root_render_func(ctx):
            pass
        value = ctx.vars["result"]
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        if isinstance(value, Iterator):
            # Jinja's map, select, reject... return generators: a value is a list, as Pebble's.
            value = list(itertools.islice(value, LIMITS.max_sequence + 1))
            if len(value) > LIMITS.max_sequence:
                raise HarrierExpressionError(f"expression yields more than {LIMITS.max_sequence} items")
        if isinstance(value, (dict, list, tuple)):
            check_printed_size(value)
        return value
    # Counted piece by piece: a loop printing large strings must stop before it fills memory.
    pieces: list[str] = []
    size = 0
    for piece in template.root_render_func(ctx):
        size += len(piece)
        if size > LIMITS.max_string:
            raise HarrierExpressionError(f"expression output is longer than {LIMITS.max_string} characters")
        pieces.append(piece)
    return "".join(pieces)


def render(template: Any, context: Mapping[str, Any], where: str | None = None) -> Any:
    """Render `template` with `context`; native value for a single `{{ expr }}`.

    Non-string values are returned unchanged. Every failure (syntax, undefined variable,
    sandbox refusal, limit, error inside the expression) is a HarrierExpressionError naming
    `where` (the task property, e.g. `tasks[1].message`) and the template.
    """
    if not isinstance(template, str) or ("{{" not in template and "{%" not in template):
        return template
    try:
        compiled = compile_template(template)
        if not compiled.costly:
            return _run(compiled, context)
        budget, token = open_budget()
        try:
            return _run(compiled, context)
        finally:
            close_budget(token)
    except HarrierExpressionError as exc:
        raise exc.located(where) if where else exc from None
    except RecursionError:
        raise HarrierExpressionError(f"in {_short(template)}: recursion is too deep", where=where) from None
    except Exception as exc:  # noqa: BLE001 - the sandbox boundary: user code may raise anything
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise HarrierExpressionError(f"in {_short(template)}: {message}", where=where) from None


def render_text(template: Any, context: Mapping[str, Any], where: str | None = None) -> str:
    """Render to a string, printing native values as templates print them."""
    return to_text(render(template, context, where))


def render_value(value: Any, context: Mapping[str, Any], where: str | None = None) -> Any:
    """Render every string in a nested structure of dicts and lists (keys included)."""
    if isinstance(value, str):
        return render(value, context, where)
    if isinstance(value, dict):
        return {
            render_text(k, context, where) if isinstance(k, str) else k: render_value(v, context, f"{where}.{k}" if where else str(k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [render_value(v, context, f"{where}[{i}]" if where else f"[{i}]") for i, v in enumerate(value)]
    return value


set_renderer(lambda template, context: render(template, context))
