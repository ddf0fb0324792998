"""Flowable tasks: resolved by the executor in its own step, never sent to a worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from harrier.core.durations import is_template
from harrier.core.inputs import Input
from harrier.core.models import Model
from harrier.core.properties import DynBool, DynDuration, DynInt, DynStr, Labels, describe
from harrier.core.tasks.base import AnyTask, Task, TaskKind

__all__ = ["AllowFailure", "Dag", "DagTask", "ForEach", "If", "Parallel", "Pause", "Sequential", "Subflow", "Switch"]

_CORE = "io.kestra.plugin.core.flow."
_LEGACY = "io.kestra.core.tasks.flows."


class Flowable(Task):
    """Base of flowable tasks; `errors` run when a child fails, `finally` after the children
    whatever their outcome."""

    kind: ClassVar[TaskKind] = TaskKind.FLOWABLE

    errors: list[AnyTask] | None = None
    finally_: list[AnyTask] | None = Field(default=None, alias="finally")


class If(Flowable):
    """Run `then` when `condition` renders truthy, `else` otherwise."""

    type_name: ClassVar[str] = "If"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "If", _LEGACY + "If")

    condition: DynBool
    then: list[AnyTask] = Field(min_length=1)
    else_: list[AnyTask] | None = Field(default=None, alias="else")


class Switch(Flowable):
    """Run the branch of `cases` whose key equals the rendered `value`, else `defaults`."""

    type_name: ClassVar[str] = "Switch"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "Switch", _LEGACY + "Switch")

    value: DynStr
    cases: dict[str, list[AnyTask]] | None = None
    defaults: list[AnyTask] | None = None

    @field_validator("cases", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        # YAML reads `1:` and `true:` as an integer and a boolean; the rendered value is text.
        if isinstance(value, dict):
            return {k if isinstance(k, str) else str(k).lower() if isinstance(k, bool) else str(k): v for k, v in value.items()}
        return value


class ForEach(Flowable):
    """Run `tasks` once per item of `values`, at most `concurrencyLimit` at a time (0 = all)."""

    type_name: ClassVar[str] = "ForEach"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "ForEach",)

    # An iteration's tasks run in order; EachParallel starts them all at once.
    parallel_tasks: ClassVar[bool] = False

    values: list[Any] | str
    concurrency_limit: DynInt = 1
    tasks: list[AnyTask] = Field(min_length=1)

    @field_validator("values", mode="plain")
    @classmethod
    def _check_values(cls, value: Any) -> list[Any] | str:
        if isinstance(value, list):
            return value
        if is_template(value):
            return str(value)
        if isinstance(value, str):
            # Kestra also takes a JSON array written as a string.
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                return parsed
        raise PydanticCustomError(
            "harrier_type", "expected a list, a JSON array or an expression, got {got}", {"got": describe(value)}
        )

    @field_validator("concurrency_limit")
    @classmethod
    def _check_limit(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 0:
            raise ValueError(f"must be 0 (unlimited) or more, got {value}")
        return value


class Parallel(Flowable):
    """Run `tasks` in parallel, at most `concurrent` at a time (0 = all)."""

    type_name: ClassVar[str] = "Parallel"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "Parallel", _LEGACY + "Parallel")

    concurrent: DynInt = 0
    tasks: list[AnyTask] = Field(min_length=1)


class Sequential(Flowable):
    """Run `tasks` one after another."""

    type_name: ClassVar[str] = "Sequential"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "Sequential", _LEGACY + "Sequential")

    tasks: list[AnyTask] = Field(min_length=1)


class AllowFailure(Flowable):
    """Run `tasks`; a failure among them ends this task in WARNING instead of failing the flow."""

    type_name: ClassVar[str] = "AllowFailure"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "AllowFailure", _LEGACY + "AllowFailure")

    tasks: list[AnyTask] = Field(min_length=1)


class DagTask(Model):
    """One node of a Dag: a task and the ids of the Dag tasks it waits for."""

    task: AnyTask
    depends_on: list[str] | None = None


class Dag(Flowable):
    """Run tasks as soon as the tasks they depend on have finished."""

    type_name: ClassVar[str] = "Dag"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "Dag", _LEGACY + "Dag")

    concurrent: DynInt = 0
    tasks: list[DagTask] = Field(min_length=1)

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Unknown, self and cyclic dependencies (read raw, so reported next to other problems)."""
        nodes = data.get("tasks")
        if not isinstance(nodes, list):
            return
        ids: list[str] = []
        for node in nodes:
            task = node.get("task") if isinstance(node, dict) else None
            task_id = task.get("id") if isinstance(task, dict) else None
            ids.append(task_id if isinstance(task_id, str) else "")
        known = set(ids) - {""}
        edges: dict[str, list[str]] = {}
        for i, node in enumerate(nodes):
            depends = node.get("dependsOn") if isinstance(node, dict) else None
            if not isinstance(depends, list) or not ids[i]:
                continue
            for j, dep in enumerate(depends):
                if not isinstance(dep, str):
                    continue
                if dep not in known:
                    listed = ", ".join(sorted(known))
                    yield ("tasks", i, "dependsOn", j), f"unknown task {dep!r}; dependsOn must name tasks of this Dag ({listed})"
                elif dep == ids[i]:
                    yield ("tasks", i, "dependsOn", j), f"task {dep!r} depends on itself"
                else:
                    edges.setdefault(ids[i], []).append(dep)
        cycle = _find_cycle([i for i in ids if i], edges)
        if cycle:
            yield ("tasks", ids.index(cycle[0]), "dependsOn"), f"dependency cycle: {' -> '.join(cycle)}"


class Pause(Flowable):
    """Pause the execution until resumed, or until `pauseDuration` elapses; then run `tasks`
    (deprecated in Kestra, still accepted) in order, if any."""

    type_name: ClassVar[str] = "Pause"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "Pause", _LEGACY + "Pause")

    pause_duration: DynDuration | None = None
    delay: DynDuration | None = None
    behavior: Literal["RESUME", "WARN", "CANCEL", "FAIL"] = "RESUME"
    on_resume: list[Input] | None = None
    tasks: list[AnyTask] | None = None


class Subflow(Flowable):
    """Start an execution of another flow, optionally waiting for it and taking its outcome."""

    type_name: ClassVar[str] = "Subflow"
    # `io.kestra.core.tasks.flows.Flow` is the name Kestra used before Subflow.
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "Subflow", _LEGACY + "Subflow", _LEGACY + "Flow")

    namespace: DynStr
    flow_id: DynStr
    inputs: dict[str, Any] | None = None
    labels: Labels | None = None
    wait: DynBool = True
    transmit_failed: DynBool = True
    inherit_labels: bool = False
    revision: int | None = None
    schedule_date: DynStr | None = None
    # Deprecated in Kestra for the child's flow outputs: rendered in the child's context when
    # it ends, they become this task run's `outputs.outputs`.
    outputs: dict[str, Any] | None = None


def _find_cycle(ids: list[str], edges: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    for start in ids:
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(edges.get(start, ())))]
        trail = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                trail.pop()
            elif state.get(child) == 1:
                return [*trail[trail.index(child):], child]
            elif not state.get(child):
                state[child] = 1
                trail.append(child)
                stack.append((child, iter(edges.get(child, ()))))
    return None
