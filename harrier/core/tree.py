"""Walking a flow's task tree, and the per-flow index the executor looks tasks up in."""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel

from harrier.core.flows import Flow
from harrier.core.parsing import Path, format_path
from harrier.core.tasks.base import Task

__all__ = ["FlowIndex", "TaskNode", "child_tasks", "mentions", "task_fields", "walk"]


@dataclass(frozen=True, slots=True)
class TaskNode:
    """A task in its place: its path in the document, its parent task and the list it is in."""

    task: Task
    path: Path
    parent: Task | None
    branch: str

    @property
    def where(self) -> str:
        """The path as text, e.g. `tasks[2].then[0]`."""
        return format_path(self.path)


@functools.lru_cache(maxsize=4096)
def mentions(annotation: Any, base: type[BaseModel] = Task, seen: frozenset[type] = frozenset()) -> bool:
    """True when values typed `annotation` can hold `base` instances (directly or nested)."""
    if isinstance(annotation, type):
        if issubclass(annotation, base):
            return True
        if issubclass(annotation, BaseModel) and annotation not in seen:
            return any(mentions(cast(Any, f.annotation), base, seen | {annotation}) for f in annotation.model_fields.values())
        return False
    return any(mentions(arg, base, seen) for arg in typing.get_args(annotation))


@functools.cache
def task_fields(cls: type[BaseModel], base: type[BaseModel] = Task) -> tuple[tuple[str, str], ...]:
    """(attribute, YAML key) of each field of `cls` that holds `base` instances, in order."""
    return tuple(
        (name, info.alias or name) for name, info in cls.model_fields.items() if mentions(cast(Any, info.annotation), base)
    )


def _tasks_in(value: Any, path: Path) -> Iterator[tuple[Path, Task]]:
    if isinstance(value, Task):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _tasks_in(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _tasks_in(item, (*path, key))
    elif isinstance(value, BaseModel):
        for name, key in task_fields(type(value)):
            yield from _tasks_in(getattr(value, name), (*path, key))


def child_tasks(task: Task | Flow) -> Iterator[tuple[Path, Task]]:
    """The direct children of a flowable task (or the top-level tasks of a flow), with paths
    relative to it, e.g. `("then", 0)`, `("cases", "a", 0)` or `("tasks", 2, "task")`."""
    for name, key in task_fields(type(task)):
        yield from _tasks_in(getattr(task, name), (key,))


def walk(flow: Flow) -> Iterator[TaskNode]:
    """Every task of the flow, depth first, in document order: tasks, errors, then finally."""
    stack: list[tuple[Path, Task, Task | None, str]] = []
    for path, task in reversed(list(child_tasks(flow))):
        stack.append((path, task, None, str(path[0])))
    while stack:
        path, task, parent, branch = stack.pop()
        yield TaskNode(task, path, parent, branch)
        for rel, child in reversed(list(child_tasks(task))):
            stack.append(((*path, *rel), child, task, str(rel[0])))


class FlowIndex:
    """Tasks of one flow by id, with their parents and children; built once per flow."""

    __slots__ = ("_children", "_nodes")

    def __init__(self, flow: Flow) -> None:
        self._nodes: dict[str, TaskNode] = {}
        self._children: dict[str | None, list[str]] = {}
        for node in walk(flow):
            # Validation rejects duplicate ids; the first one wins for flows built in code.
            self._nodes.setdefault(node.task.id, node)
            parent_id = node.parent.id if node.parent is not None else None
            self._children.setdefault(parent_id, []).append(node.task.id)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def task(self, task_id: str) -> Task:
        """The task with this id; KeyError if none."""
        return self._nodes[task_id].task

    def node(self, task_id: str) -> TaskNode:
        """The task with this id in its place (path, parent, branch); KeyError if none."""
        return self._nodes[task_id]

    def parent(self, task_id: str) -> Task | None:
        """The flowable task directly holding this one (None at the top level)."""
        return self._nodes[task_id].parent

    def parents(self, task_id: str) -> list[Task]:
        """The enclosing flowable tasks, innermost first."""
        result: list[Task] = []
        parent = self._nodes[task_id].parent
        while parent is not None:
            result.append(parent)
            parent = self._nodes[parent.id].parent
        return result

    def children(self, task_id: str | None) -> list[str]:
        """Ids of the direct children of a task, in document order (None: top-level lists)."""
        return list(self._children.get(task_id, ()))

    def ids(self) -> list[str]:
        """Every task id, depth first in document order."""
        return list(self._nodes)
