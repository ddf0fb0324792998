"""Kestra's filters and functions that turn values into other forms: `jq`, `yaml`, `toIon`,
`numberFormat`, `className`, and `printContext()`.

`jq` runs the maintained jq binding (libjq, pinned in pyproject) and, as in Kestra, always
returns the list of the program's results. libjq cannot be interrupted once it runs, so what
could run without bound (`range`, `repeat`, `while`, `until`, `recurse(...)`, `def`) is refused
with what reads the process or files (`env`, `$ENV`, `input`, `inputs`, `input_filename`,
`import`, `include`, `debug`, `stderr`, `halt`, `halt_error`); results are taken one by one,
each charged to the render's budget, and their number and size are bounded.
"""

from __future__ import annotations

import decimal
import functools
import json
import re
from collections.abc import Mapping
from typing import Any

import jq  # type: ignore[import-not-found]  # a C extension without stubs
from jinja2 import pass_context
from jinja2.runtime import Context, Undefined

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions.environment import to_text
from harrier.core.expressions.limits import LIMITS, active_budget, check_printed_size
from harrier.core.parsing import load_document
from harrier.core.secrets import mask

__all__ = ["FORMAT_FILTERS", "FORMAT_FUNCTIONS"]

_JQ_REFUSED = re.compile(
    r"(?<![\w$.])(\$ENV|env|input|inputs|input_filename|import|include|debug|stderr|halt|halt_error"
    r"|range|repeat|while|until|def)(?![\w])|(?<![\w$.])recurse\s*\("
)
_JQ_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')


@functools.lru_cache(maxsize=512)
def _jq_program(program: str) -> Any:
    # String literals may hold any word: only the program's own names are checked.
    found = _JQ_REFUSED.search(_JQ_STRINGS.sub('""', program))
    if found:
        raise HarrierExpressionError(f"jq: {found.group(0).rstrip('( ')!r} is not allowed in expressions")
    try:
        return jq.compile(program)
    except ValueError as exc:
        raise HarrierExpressionError(f"jq: invalid program {program!r}: {str(exc).splitlines()[0]}") from None


def _jq(value: Any, program: str) -> list[Any]:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, str):
        # Kestra reads a string holding JSON as that JSON.
        try:
            value = json.loads(value)
        except ValueError:
            pass
    check_printed_size(value)
    budget = active_budget()
    results: list[Any] = []
    try:
        for item in _jq_program(str(program)).input_value(json.loads(to_text(value)) if not _plain(value) else value):
            budget.step()
            results.append(item)
            if len(results) > LIMITS.max_sequence:
                raise HarrierExpressionError(f"jq: more than {LIMITS.max_sequence} results")
    except ValueError as exc:
        raise HarrierExpressionError(f"jq: {str(exc).splitlines()[0]}") from None
    check_printed_size(results)
    return results


def _plain(value: Any) -> bool:
    # What libjq takes as is; anything else (dates, tuples) goes through its JSON text.
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _yaml(value: Any) -> Any:
    """A YAML text as a value (YAML 1.2 scalars, alias expansion bounded, as flows are read)."""
    if not isinstance(value, str):
        return value
    document = load_document(value, "yaml()")
    if document.problems:
        raise HarrierExpressionError(f"yaml: {document.problems[0].message}")
    return document.data


_ION_SYMBOL = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_ION_KEYWORDS = frozenset({"null", "true", "false", "nan"})


def _to_ion(value: Any) -> str:
    """Amazon Ion text of a value, as Kestra's `toIon` writes it (`{a:1,b:"x"}`)."""
    check_printed_size(value)
    if value is None or isinstance(value, Undefined):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).replace("inf", "+inf") + ("e0" if "e" not in repr(value) and "n" not in repr(value) else "")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_ion_key(str(k))}:{_to_ion(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_to_ion(v) for v in value) + "]"
    return json.dumps(to_text(value), ensure_ascii=False)


def _ion_key(key: str) -> str:
    if _ION_SYMBOL.match(key) and key not in _ION_KEYWORDS:
        return key
    return "'" + key.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _number_format(value: Any, pattern: str) -> str:
    """Format a number with a Java DecimalFormat pattern (`#,##0.00`, `0.###`, `0%`), the
    subset Kestra flows use: grouping, minimum integer digits, minimum and maximum fraction
    digits, a percent suffix; rounded half-even as Java does."""
    try:
        number = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise HarrierExpressionError(f"numberFormat: {to_text(value)!r} is not a number") from None
    pattern = str(pattern)
    percent = pattern.endswith("%")
    if percent:
        number *= 100
        pattern = pattern[:-1]
    whole, _, fraction = pattern.partition(".")
    if not re.fullmatch(r"[#,0]*", whole) or not re.fullmatch(r"0*#*", fraction):
        raise HarrierExpressionError(f"numberFormat: unsupported pattern {pattern!r}")
    low, high = fraction.count("0"), len(fraction)
    rounded = number.quantize(decimal.Decimal(1).scaleb(-high), rounding=decimal.ROUND_HALF_EVEN)
    text = f"{abs(rounded):,.{high}f}" if "," in whole else f"{abs(rounded):.{high}f}"
    integer, _, digits = text.partition(".")
    digits = digits.rstrip("0").ljust(low, "0")
    width = whole.replace(",", "").count("0")
    integer = integer.rjust(width, "0") if "," not in whole else integer
    if integer.replace(",", "") == "0" and width == 0 and digits:
        integer = ""
    sign = "-" if rounded < 0 else ""
    return sign + integer + ("." + digits if digits else "") + ("%" if percent else "")


def _class_name(value: Any) -> str:
    """The Java class Kestra's `className` names for a value."""
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer" if -(2**31) <= value < 2**31 else "java.lang.Long"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, Mapping):
        return "java.util.LinkedHashMap"
    if isinstance(value, (list, tuple)):
        return "java.util.ArrayList"
    if value is None:
        raise HarrierExpressionError("className: the value is null")
    return type(value).__name__


@pass_context
def _print_context(context: Context) -> str:
    """The variables the expression sees, as JSON (secrets masked, `envs` left out)."""
    shown = {k: v for k, v in context.get_all().items() if k in _CONTEXT_ROOTS and k != "envs"}
    return mask(to_text(shown))


_CONTEXT_ROOTS = frozenset(
    {"flow", "execution", "inputs", "outputs", "vars", "labels", "trigger", "task", "taskrun", "parent", "parents"}
)

FORMAT_FILTERS: dict[str, Any] = {
    "jq": _jq,
    "yaml": _yaml,
    "toIon": _to_ion,
    "numberFormat": _number_format,
    "className": _class_name,
}

FORMAT_FUNCTIONS: dict[str, Any] = {
    "yaml": _yaml,
    "printContext": _print_context,
}
