"""Resource limits of expression rendering, and the per-render budget that enforces them.

Templates are user code. The sandbox refuses private attributes; these limits bound what is
left: loop iterations (counted on every loop step and call) and the rendering thread's CPU
time (read every 128 of them), call depth, sequence and string sizes, and nested `render()`
depth. CPU time, not wall time: on a machine loaded to 30, a one-line Log message took over
a second of wall time in the soak and failed its execution, while it cost microseconds of work.
"""

from __future__ import annotations

import contextvars
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass

from jinja2.runtime import Undefined

from harrier.core.exceptions import HarrierExpressionError

__all__ = ["Budget", "LIMITS", "Limits", "active_budget", "check_printed_size", "check_size", "close_budget", "open_budget"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper bounds for one top-level render."""

    max_range: int = 100_000
    max_string: int = 1_000_000
    max_sequence: int = 100_000
    max_iterations: int = 1_000_000
    max_call_depth: int = 64
    max_render_depth: int = 8
    time_limit_s: float = 1.0


LIMITS = Limits()


class Budget:
    """What one top-level render may still spend; shared by nested `render()` calls."""

    __slots__ = ("call_depth", "deadline", "iterations", "limits", "render_depth")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.thread_time() + limits.time_limit_s
        self.iterations = 0
        self.call_depth = 0
        self.render_depth = 0

    def step(self) -> None:
        """Count one loop iteration or call; refuse once over the iteration or time budget."""
        self.iterations += 1
        if self.iterations > self.limits.max_iterations:
            raise HarrierExpressionError(f"expression exceeded {self.limits.max_iterations} loop iterations")
        # Reading a thread's CPU clock is a system call (about 1 µs, against 50 ns for the
        # wall clock): once every 128 steps, each of them bounded by the size limits.
        if not self.iterations & 127 and time.thread_time() > self.deadline:
            raise HarrierExpressionError(f"expression took longer than {self.limits.time_limit_s:g}s of CPU time")


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("harrier_expression_budget", default=None)


def active_budget() -> Budget:
    """The budget of the render in progress (a fresh one when called outside a render)."""
    budget = _BUDGET.get()
    return budget if budget is not None else Budget(LIMITS)


def open_budget() -> tuple[Budget, contextvars.Token[Budget | None] | None]:
    """Join the current render's budget, or start one; pass the token to `close_budget`."""
    budget = _BUDGET.get()
    if budget is not None:
        return budget, None
    budget = Budget(LIMITS)
    return budget, _BUDGET.set(budget)


def close_budget(token: contextvars.Token[Budget | None] | None) -> None:
    """End a budget started by `open_budget` (no-op for a joined one)."""
    if token is not None:
        _BUDGET.reset(token)


def check_printed_size(value: object) -> None:
    """Refuse a nested value whose JSON form would exceed the string limit, before printing it.

    A list can hold the same large string many times over at no memory cost; printing or
    shipping it would not be free. Walks the value, stopping as soon as the limit is passed.
    """
    limit = LIMITS.max_string
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + len(item)
            stack.extend(item)
        else:
            if type(item) not in _SCALARS:
                _check_data(item)
            total += 8
        if total > limit:
            raise HarrierExpressionError(f"expression result is larger than {limit} characters")


# Checked by type alone: the values a template yields most, in lists of up to a million.
_SCALARS = frozenset({int, float, bool, type(None)})


def _check_data(item: object) -> None:
    # Inside a list or dict, nothing checked what a template put there: an undefined name is
    # an error as it is anywhere else, and Python's own objects (functions, classes, modules,
    # generators) are not data a task or an output can hold.
    if isinstance(item, Undefined):
        item._fail_with_undefined_error()
    if callable(item) or isinstance(item, (Iterator, types.ModuleType)):
        raise HarrierExpressionError(f"expression yields a {type(item).__name__} inside its value, not data")


def check_size(size: int, what: str = "string") -> None:
    """Refuse a string or sequence larger than the limits, before it is built."""
    limit = LIMITS.max_string if what == "string" else LIMITS.max_sequence
    if size > limit:
        raise HarrierExpressionError(f"expression would build a {what} of {size} items; the limit is {limit}")
