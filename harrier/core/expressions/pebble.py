"""Kestra (Pebble) operators Jinja lacks, rewritten into Jinja before parsing.

- `a ?? b`: `b` when `a` is undefined or null (`a | harrier_coalesce(b)`);
- `cond ? a : b`: the ternary (`((a) if (cond) else (b))`);
- `a equals b`: `a == b`; `a contains b`: the test `a is harrier_contains b` (an item of a
  list, a key of a map, a substring of a text; every item when `b` is a list), bound as
  tightly as a comparison.

Only operators at the top level of a `{{ }}` block, or of the expression of an
`{% if %}`, `{% elif %}` or `{% set x = %}` statement, are rewritten; quoted strings and
bracketed sub-expressions are left alone. A template without `?` is returned unchanged.
"""

from __future__ import annotations

import re

__all__ = ["translate"]

_BLOCK = re.compile(r"(\{\{-?|\{%-?)(.*?)(-?\}\}|-?%\})", re.S)
_STATEMENT = re.compile(r"^(\s*(?:if|elif)\s+|\s*set\s+[A-Za-z_][A-Za-z0-9_.]*\s*=\s*)(.*)$", re.S)
_OPEN = "([{"
_CLOSE = ")]}"


def _top_level(text: str) -> list[tuple[int, str]]:
    """Positions of `??`, `?`, `:` and `,` outside quotes and brackets."""
    found: list[tuple[int, str]] = []
    depth = 0
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif depth == 0 and char == "?":
            if text.startswith("??", i):
                found.append((i, "??"))
                i += 1
            else:
                found.append((i, "?"))
        elif depth == 0 and char in ":,":
            found.append((i, char))
        i += 1
    return found


def _groups(text: str) -> str:
    """Translate inside each top-level `( ... )` group, argument by argument."""
    if "?" not in text:
        return text
    out: list[str] = []
    depth = 0
    quote = ""
    start = 0
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in _OPEN:
            if depth == 0 and char == "(":
                out.append(text[start : i + 1])
                start = i + 1
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth == 0 and char == ")":
                out.append(",".join(_expression(arg) for arg in _split_commas(text[start:i])))
                start = i
        i += 1
    out.append(text[start:])
    return "".join(out)


def _split_commas(text: str) -> list[str]:
    cuts = [i for i, kind in _top_level(text) if kind == ","]
    bounds = [-1, *cuts, len(text)]
    return [text[a + 1 : b] for a, b in zip(bounds, bounds[1:])]


def _expression(text: str) -> str:
    text = _groups(text)
    marks = _top_level(text)
    coalesce = [i for i, kind in marks if kind == "??"]
    if coalesce:
        parts, start = [], 0
        for position in coalesce:
            parts.append(text[start:position])
            start = position + 2
        parts.append(text[start:])
        parts = [_expression(p) for p in parts]
        result = f"({parts[0].strip()})"
        for part in parts[1:]:
            result = f"({result} | harrier_coalesce({part.strip()}))"
        return f" {result} "
    question = next((i for i, kind in marks if kind == "?"), None)
    if question is not None:
        colon = next((i for i, kind in marks if kind == ":" and i > question), None)
        if colon is not None:
            condition, then, otherwise = text[:question], text[question + 1 : colon], _expression(text[colon + 1 :])
            return f" (({then.strip()}) if ({condition.strip()}) else ({otherwise.strip()})) "
    return text


_QUOTED = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
_EQUALS = re.compile(r"(?<=[\s)\]])equals(?=[\s(\[])")
_CONTAINS = re.compile(r"(?<=[\s)\]])contains(?=[\s(\[])")


def _words(body: str) -> str:
    """`equals` and `contains` outside quoted strings, as Jinja operators."""
    parts = _QUOTED.split(body)
    for i in range(0, len(parts), 2):
        parts[i] = _CONTAINS.sub("is harrier_contains", _EQUALS.sub("==", parts[i]))
    return "".join(parts)


def _block(match: re.Match[str]) -> str:
    opening, body, closing = match.groups()
    if "equals" in body or "contains" in body:
        body = _words(body)
    if "?" not in body:
        return opening + body + closing
    if opening.startswith("{{"):
        return opening + _expression(body) + closing
    statement = _STATEMENT.match(body)
    if statement is None:
        return opening + body + closing
    return opening + statement.group(1) + _expression(statement.group(2)) + closing


def translate(source: str) -> str:
    """Rewrite Pebble's `??`, `? :`, `equals` and `contains` into Jinja; everything else is
    left as written."""
    if "?" not in source and "equals" not in source and "contains" not in source:
        return source
    return _BLOCK.sub(_block, source)
