"""What a task's templates read: which context roots and which task outputs.

A worker task carries only the context its templates need, and the executor renders its own
expressions (If conditions, ForEach values, flow outputs) against only the outputs they name.
The Jinja2 syntax tree of every template string of the task tells which: `outputs.x`,
`outputs['x']` and `outputs["x"].y` name task `x`; any other use of `outputs` (a filter over
it, `render(...)` of an unknown string) needs all outputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes

from harrier.core.durations import is_template
from harrier.core.expressions.context import ERROR_LOGS
from harrier.core.expressions.render import parse_template

__all__ = ["ALL_ROOTS", "Needs", "needs_of", "template_strings"]

# Context roots a template may read (Kestra's names).
ALL_ROOTS = frozenset(
    {"flow", "execution", "inputs", "outputs", "vars", "labels", "trigger", "task", "taskrun", "parent", "parents", "envs"}
)


_READS_ANYTHING = frozenset({"render", "printContext"})


@dataclass(frozen=True, slots=True)
class Needs:
    """Roots a set of templates reads; `outputs` names the task ids, None meaning all."""

    roots: frozenset[str]
    outputs: frozenset[str] | None

    @property
    def nothing(self) -> bool:
        """True when the templates read no context at all."""
        return not self.roots


NO_NEEDS = Needs(frozenset(), frozenset())


def template_strings(value: Any) -> Iterator[str]:
    """Every string holding a template inside a nested structure of dicts and lists."""
    if isinstance(value, str):
        if is_template(value):
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from template_strings(key)
            yield from template_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from template_strings(item)


def _scan(source: str) -> tuple[set[str], set[str] | None]:
    try:
        # Parsed as rendered: Pebble's `??`, `? :`, `equals` and `contains` rewritten first.
        tree = parse_template(source)
        # Compiles the tree: an unknown filter or test (TemplateAssertionError) fails here.
        undeclared = meta.find_undeclared_variables(tree)
    except TemplateSyntaxError:
        # The render reports the error where the template runs; it reads nothing.
        return set(), set()
    roots = {name for name in undeclared if name in ALL_ROOTS}
    called = {n.name for n in tree.find_all(nodes.Name)}
    if "errorLogs" in called:
        # A global, so not among the undeclared names; what it returns comes with the context.
        roots.add(ERROR_LOGS)
    if called & _READS_ANYTHING:
        # render() of a string we cannot see may read anything; printContext() prints it all.
        return set(ALL_ROOTS), None
    if "outputs" not in roots:
        return roots, set()
    named: set[str] = set()
    matched = 0
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, (nodes.Getattr, nodes.Getitem))  # what find_all was asked for
        target = node.node
        if not (isinstance(target, nodes.Name) and target.name == "outputs"):
            continue
        if isinstance(node, nodes.Getattr):
            named.add(node.attr)
            matched += 1
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            named.add(node.arg.value)
            matched += 1
    uses = sum(1 for n in tree.find_all(nodes.Name) if n.name == "outputs")
    return roots, (named if matched == uses else None)


def needs_of(values: Iterable[Any]) -> Needs:
    """The union of what the templates inside `values` read."""
    roots: set[str] = set()
    outputs: set[str] | None = set()
    for value in values:
        for source in template_strings(value):
            found_roots, found_outputs = _scan(source)
            roots |= found_roots
            if found_outputs is None or outputs is None:
                outputs = None
            else:
                outputs |= found_outputs
    if not roots:
        return NO_NEEDS
    return Needs(frozenset(roots), None if outputs is None else frozenset(outputs))
