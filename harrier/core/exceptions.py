"""Errors raised by the flow language.

Exception tree::

    HarrierError
    ├── FlowValidationError      a flow document has one or more problems (each with a location)
    ├── HarrierExpressionError   an expression failed to compile or render, or hit a sandbox limit
    └── InputValidationError     execution input values broke the flow's input declarations
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FlowValidationError",
    "HarrierError",
    "HarrierExpressionError",
    "InputValidationError",
    "Problem",
]


class HarrierError(Exception):
    """Base class of every error Harrier raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a flow document, located as precisely as the source allows."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {where}{self.message}"


class FlowValidationError(HarrierError):
    """A flow document is invalid; `problems` lists every problem found in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class HarrierExpressionError(HarrierError):
    """An expression could not be compiled or rendered.

    `where` names the task property the template came from (e.g. `tasks[1].message`) when the
    caller knows it.
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.reason = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)

    def located(self, where: str) -> HarrierExpressionError:
        """Return the same error naming the property it came from (keeps an inner location)."""
        return self if self.where else HarrierExpressionError(self.reason, where=where)


class InputValidationError(HarrierError):
    """One or more input values are invalid; each message names the input and the rule."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))
