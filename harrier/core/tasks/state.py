"""Kestra's deprecated state store tasks: state.Set, state.Get and state.Delete.

A state is a JSON document named `name`, private to the flow (or shared by the namespace
with `namespace: true`) and, unless `taskrunValue: false`, to the ForEach value it runs
for. Still accepted so older flows run; new flows should use the kv tasks. The documents live
in the KV store under keys users cannot write (`harrier.core.kv.STATE_PREFIX`).
"""

from __future__ import annotations

from typing import ClassVar

from harrier.core.properties import DynBool, DynDict, DynStr
from harrier.core.tasks.base import Task

__all__ = ["StateDelete", "StateGet", "StateSet"]


def _aliases(name: str) -> tuple[str, ...]:
    return (f"io.kestra.plugin.core.state.{name}", f"io.kestra.core.tasks.states.{name}")


class _State(Task):
    name: DynStr = "default"
    namespace: DynBool = False
    taskrun_value: DynBool = True


class StateSet(_State):
    """Merge `data` into the state; outputs `count` (its keys) and `key` (where it is kept)."""

    type_name: ClassVar[str] = "state.Set"
    type_aliases: ClassVar[tuple[str, ...]] = _aliases("Set")

    data: DynDict | None = None


class StateGet(_State):
    """Outputs the state as `data` and its key count as `count` (empty when there is none)."""

    type_name: ClassVar[str] = "state.Get"
    type_aliases: ClassVar[tuple[str, ...]] = _aliases("Get")

    error_on_missing: DynBool = False


class StateDelete(_State):
    """Delete the state; outputs `deleted`."""

    type_name: ClassVar[str] = "state.Delete"
    type_aliases: ClassVar[tuple[str, ...]] = _aliases("Delete")

    error_on_missing: DynBool = False
