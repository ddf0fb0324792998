"""The log search language, matched per line: words, "phrases", prefix* and -exclusions.

Every term must hold for a line (``-term`` must not). A log document is a batch of lines, so
the search runs in two steps: Elasticsearch selects the batches whose messages hold every
positive term (``query``), then ``matches`` keeps the lines that satisfy the whole search.
Exclusions are left to the second step: a batch holding an excluded word may still have
lines without it.

Words are lower-cased runs of letters, digits and underscores, close to Elasticsearch's
standard analyzer; a term that splits into several words (``foo-bar``) is a phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["LogSearch"]

_WORDS = re.compile(r"\w+")
_TERMS = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_FIELD = "messages"
# How many words a phrase's last prefix may stand for (Elasticsearch's default is 50).
_EXPANSIONS = 1_000


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    words: tuple[str, ...]
    prefix: bool
    negated: bool

    def query(self) -> dict[str, Any]:
        # The raw text, so that Elasticsearch analyzes it as it analyzed the messages.
        if not self.prefix:
            return {"match_phrase": {_FIELD: self.text}}
        stem = self.text.rstrip("*")
        if _WORDS.fullmatch(stem):
            return {"prefix": {_FIELD: stem.lower()}}
        return {"match_phrase_prefix": {_FIELD: {"query": stem, "max_expansions": _EXPANSIONS}}}

    def found_in(self, words: list[str]) -> bool:
        wanted = self.words
        size = len(wanted)
        for start in range(len(words) - size + 1):
            if words[start : start + size - 1] != list(wanted[:-1]):
                continue
            last = words[start + size - 1]
            if last == wanted[-1] or (self.prefix and last.startswith(wanted[-1])):
                return True
        return False


class LogSearch:
    """A parsed search; ``query`` for Elasticsearch, ``matches`` for one line."""

    __slots__ = ("_terms",)

    def __init__(self, text: str) -> None:
        terms = []
        for found in _TERMS.finditer(text):
            if found.group(2) is not None:
                raw, prefix, negated = found.group(2), False, found.group(1) == "-"
            else:
                raw = found.group(4)
                prefix, negated = raw.endswith("*"), found.group(3) == "-"
            words = tuple(_WORDS.findall(raw.lower()))
            if words:
                terms.append(_Term(raw, words, prefix, negated))
        self._terms = tuple(terms)

    def query(self) -> dict[str, Any] | None:
        """The Elasticsearch query selecting batches with every positive term (None: no term)."""
        positive = [term.query() for term in self._terms if not term.negated]
        if not positive:
            return None
        return {"bool": {"filter": positive}}

    def matches(self, message: str) -> bool:
        """True when ``message`` holds every term and no excluded one."""
        words = _WORDS.findall(message.lower())
        return all(term.found_in(words) is not term.negated for term in self._terms)

