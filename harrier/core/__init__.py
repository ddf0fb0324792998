"""Harrier core: the flow language (models, parsing, validation, expressions, inputs).

Pure Python: nothing here imports Kafka.
"""

from __future__ import annotations

from harrier.core.exceptions import (
    FlowValidationError,
    HarrierError,
    HarrierExpressionError,
    InputValidationError,
    Problem,
)
from harrier.core.flows import Concurrency, ConcurrencyBehavior, Flow, FlowOutput
from harrier.core.inputs import Input, InputType, coerce_inputs
from harrier.core.registry import Registry, default_registry
from harrier.core.tasks.base import Task, TaskKind
from harrier.core.tree import FlowIndex, TaskNode, child_tasks, walk
from harrier.core.triggers import Trigger
from harrier.core.validation import parse_flow, validate_files, validate_text

__all__ = [
    "Concurrency",
    "ConcurrencyBehavior",
    "Flow",
    "FlowIndex",
    "FlowOutput",
    "FlowValidationError",
    "HarrierError",
    "HarrierExpressionError",
    "Input",
    "InputType",
    "InputValidationError",
    "Problem",
    "Registry",
    "Task",
    "TaskKind",
    "TaskNode",
    "Trigger",
    "child_tasks",
    "coerce_inputs",
    "default_registry",
    "parse_flow",
    "validate_files",
    "validate_text",
    "walk",
]
