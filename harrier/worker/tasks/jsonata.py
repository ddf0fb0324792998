"""TransformValue: apply a JSONata expression to a value (jsonata-python)."""

from __future__ import annotations

import functools
from typing import Any

import jsonata
import orjson

from harrier.core.tasks import TransformValue
from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure

__all__ = ["run_transform_value"]


@functools.lru_cache(maxsize=512)
def _compile(expression: str) -> jsonata.Jsonata:
    try:
        return jsonata.Jsonata(expression)
    except Exception as exc:  # noqa: BLE001 - jsonata raises JException and, on odd input, others
        raise TaskFailure(f"invalid JSONata expression {expression!r}: {exc}") from None


def run_transform_value(task: TransformValue, context: RunContext) -> dict[str, Any]:
    """Outputs `value`: the expression evaluated on `from` (a JSON string is parsed first)."""
    if not isinstance(task.expression, str):
        raise TaskFailure("property expression: expected a JSONata expression string")
    data = task.from_
    if isinstance(data, (str, bytes)):
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise TaskFailure(f"property from: not valid JSON ({exc})") from None
    compiled = _compile(task.expression)
    try:
        # Fresh bindings give each call its own frame: the compiled expression is shared
        # between threads, and evaluate() without bindings writes `$` into a shared one.
        value = compiled.evaluate(data, {})
    except Exception as exc:  # noqa: BLE001 - evaluation errors of any kind name the expression
        raise TaskFailure(f"JSONata expression {task.expression!r} failed: {exc}") from None
    return {"value": value}
