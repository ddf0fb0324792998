"""Expressions: sandboxed Jinja2 with Kestra's functions, native values and a compile cache."""

from __future__ import annotations

from harrier.core.expressions.context import TaskOutputs, build_context, environment_variables, flow_variables
from harrier.core.expressions.environment import to_text
from harrier.core.expressions.files import set_file_storage
from harrier.core.expressions.limits import LIMITS, Limits
from harrier.core.expressions.render import (
    check_syntax,
    compile_template,
    parse_template,
    render,
    render_text,
    render_value,
)

__all__ = [
    "LIMITS",
    "Limits",
    "TaskOutputs",
    "build_context",
    "check_syntax",
    "compile_template",
    "environment_variables",
    "flow_variables",
    "parse_template",
    "render",
    "render_text",
    "render_value",
    "set_file_storage",
    "to_text",
]
