"""Flow inputs: their declaration, and coercion of the values supplied for an execution."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import model_validator

from harrier.core.durations import is_template
from harrier.core.exceptions import InputValidationError
from harrier.core.input_values import InputType, check_input, coerce_input
from harrier.core.models import Model
from harrier.core.properties import InputId

__all__ = ["Input", "InputType", "coerce_input", "coerce_inputs"]

_T = InputType
# Which optional rules make sense for which types; any other combination is a mistake.
_RULES: dict[str, frozenset[InputType]] = {
    "validator": frozenset({_T.STRING, _T.SECRET, _T.EMAIL}),
    "min_length": frozenset({_T.STRING, _T.SECRET}),
    "max_length": frozenset({_T.STRING, _T.SECRET}),
    "min": frozenset({_T.INT, _T.FLOAT, _T.DURATION}),
    "max": frozenset({_T.INT, _T.FLOAT, _T.DURATION}),
    "values": frozenset({_T.SELECT, _T.MULTISELECT}),
    "options": frozenset({_T.MULTISELECT}),
    "allow_custom_value": frozenset({_T.SELECT, _T.MULTISELECT}),
    "item_type": frozenset({_T.ARRAY}),
    "after": frozenset({_T.DATETIME, _T.DATE, _T.TIME}),
    "before": frozenset({_T.DATETIME, _T.DATE, _T.TIME}),
}


class Input(Model):
    """One declared flow input."""

    id: InputId
    type: InputType
    description: str | None = None
    display_name: str | None = None
    required: bool = True
    defaults: Any = None
    validator: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min: int | float | str | None = None
    max: int | float | str | None = None
    values: list[Any] | None = None
    options: list[Any] | None = None
    allow_custom_value: bool = False
    item_type: InputType | None = None
    after: str | None = None
    before: str | None = None
    depends_on: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _deprecated_names(cls, data: Any) -> Any:
        # Older Kestra flows name an input with `name` and declare a SELECT as `ENUM`.
        if isinstance(data, dict) and ("name" in data or data.get("type") == "ENUM"):
            data = dict(data)
            if "name" in data and "id" not in data:
                data["id"] = data.pop("name")
            if data.get("type") == "ENUM":
                data["type"] = "SELECT"
        return data

    @model_validator(mode="after")
    def _check_rules(self) -> Input:
        for rule, types in _RULES.items():
            if getattr(self, rule) not in (None, False) and self.type not in types:
                name = type(self).model_fields[rule].alias or rule
                raise ValueError(f"{name!r} does not apply to a {self.type.value} input")
        if self.validator is not None:
            try:
                re.compile(self.validator)
            except re.error as exc:
                raise ValueError(f"validator is not a valid regular expression: {exc}") from None
        if self.type in (_T.SELECT, _T.MULTISELECT) and not (self.values or self.options):
            raise ValueError(f"a {self.type.value} input needs values")
        if self.type is _T.ARRAY and self.item_type is None:
            raise ValueError("an ARRAY input needs an itemType")
        if self.defaults is not None and not is_template(self.defaults):
            try:
                check_input(self, self.defaults)
            except ValueError as exc:
                raise ValueError(f"invalid defaults: {exc}") from None
        return self


def coerce_inputs(inputs: list[Input], supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Coerce supplied values (strings from a CLI or form, or typed values) to declared types.

    Missing values take the input's defaults. Every bad value is reported at once, each
    message naming the input and the rule it broke. Undeclared names are dropped, as Kestra does.
    An input whose id holds dots is nested (`a.b` is `inputs.a.b`), as Kestra nests it.
    """
    result: dict[str, Any] = {}
    problems: list[str] = []
    for declared in inputs:
        value = _supplied(supplied, declared.id)
        if value is None or value == "" and declared.type is not _T.STRING:
            value = declared.defaults
        if value is None:
            if declared.required:
                problems.append(f"input {declared.id!r}: a value is required")
            else:
                result[declared.id] = None
            continue
        try:
            result[declared.id] = coerce_input(declared, value)
        except ValueError as exc:
            problems.append(f"input {declared.id!r}: {exc}")
    if problems:
        raise InputValidationError(problems)
    return _nested(result) if any("." in key for key in result) else result


def _supplied(supplied: Mapping[str, Any], input_id: str) -> Any:
    """The value given for `input_id`: by its flat id, or already nested by its dots."""
    if input_id in supplied or "." not in input_id:
        return supplied.get(input_id)
    node: Any = supplied
    for part in input_id.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = nested
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[last] = value
    return nested
