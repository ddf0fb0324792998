"""Per-flow facts the step needs again and again, computed once per flow object.

A plan holds, per task, the raw definition sent to workers and what its templates read
(`needs`), so neither is recomputed per step. Plans are cached by flow object identity; the
cache keeps the flow alive so an identity is never reused while its plan is cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from harrier.core.expressions.context import flow_variables
from harrier.core.flows import Flow
from harrier.core.parsing import load_document
from harrier.core.plugin_defaults import apply_defaults, defaults_in
from harrier.core.tasks.base import Task
from harrier.core.tasks.flowable import Pause
from harrier.core.transitions.needs import Needs, needs_of
from harrier.core.tree import FlowIndex, task_fields

__all__ = ["SIDE_BRANCHES", "FlowPlan", "plan_for"]

_MAX_PLANS = 512
# The lists a flowable (or the flow) runs beside its main tasks.
SIDE_BRANCHES = ("errors", "finally", "afterExecution")


class FlowPlan:
    """Lazily filled per-task facts of one flow."""

    __slots__ = ("_defaults", "_document", "_needs", "_raw", "flow", "flow_info", "has_pause", "index", "output_needs", "revision", "side_ids")

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.index: FlowIndex = flow.index
        self.flow_info = flow_variables(flow)
        self.revision = flow.revision or 1
        self._raw: dict[str, dict[str, Any]] = {}
        self._document: Any = None
        self._defaults: list[Any] = []
        self._needs: dict[str, Needs] = {}
        self.output_needs = needs_of(o.value for o in flow.outputs or ())
        nodes = [self.index.node(task_id) for task_id in self.index.ids()]
        self.side_ids = frozenset(n.task.id for n in nodes if n.branch in SIDE_BRANCHES)
        self.has_pause = any(isinstance(n.task, Pause) for n in nodes)

    def task(self, task_id: str) -> Task:
        """The task with this id."""
        return self.index.task(task_id)

    def branch(self, task_id: str) -> str:
        """The list the task sits in within its parent (`tasks`, `then`, `errors`, `finally`...)."""
        return self.index.node(task_id).branch

    def raw(self, task: Task) -> dict[str, Any]:
        """The task's definition as a worker receives it: the mapping written in the flow's
        YAML when the flow came from text, else the model dumped with YAML (camelCase) keys."""
        raw = self._raw.get(task.id)
        if raw is None:
            raw = self._from_source(task)
            if raw is None:
                raw = task.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True, warnings=False)
                raw["type"] = task.type
                raw["id"] = task.id
            self._raw[task.id] = raw
        return raw

    def _from_source(self, task: Task) -> dict[str, Any] | None:
        if self._document is None:
            source = self.flow.source
            self._document = load_document(source).data if source else False
            self._defaults = defaults_in(self._document) if self._document else []
        node: Any = self._document
        if not node:
            return None
        for part in self.index.node(task.id).path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        if not (isinstance(node, dict) and node.get("id") == task.id):
            return None
        # The flow's pluginDefaults were applied to the model at parse time: apply them here too.
        data, _ = apply_defaults(node, type(task), self._defaults)
        return data

    def needs(self, task: Task) -> Needs:
        """What the task's own templates read (a flowable's children are not its templates)."""
        found = self._needs.get(task.id)
        if found is None:
            children = {name for name, _ in task_fields(type(task))}
            own = task.model_dump(mode="json", exclude=children, exclude_none=True, warnings=False)
            values: list[Any] = [own]
            if self.flow.variables and "vars" in needs_of([own]).roots:
                # Variables may hold templates of their own, rendered where they are used.
                values.append(self.flow.variables)
            found = needs_of(values)
            self._needs[task.id] = found
        return found


_plans: OrderedDict[int, FlowPlan] = OrderedDict()
_lock = threading.Lock()


def plan_for(flow: Flow) -> FlowPlan:
    """The plan of `flow`, built on first use."""
    key = id(flow)
    plan = _plans.get(key)
    if plan is not None and plan.flow is flow:
        return plan
    plan = FlowPlan(flow)
    with _lock:
        _plans[key] = plan
        while len(_plans) > _MAX_PLANS:
            _plans.popitem(last=False)
    return plan
