"""The type registry: task and trigger classes by short name and by alias.

Built-in types are registered on first use; third-party types come from the entry point
group `harrier.tasks`, where each entry point loads a Task or Trigger subclass (or an
iterable of them).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Literal

from harrier.core.tasks.base import Plugin, Task
from harrier.core.triggers import Trigger

__all__ = ["ENTRY_POINT_GROUP", "Registry", "default_registry"]

ENTRY_POINT_GROUP = "harrier.tasks"
Family = Literal["task", "trigger"]
_log = logging.getLogger(__name__)


class Registry:
    """Maps type names (short names and aliases) to task and trigger classes."""

    def __init__(self) -> None:
        self._types: dict[Family, dict[str, type[Plugin]]] = {"task": {}, "trigger": {}}

    def register(self, cls: type[Plugin]) -> None:
        """Register `cls` under its `type_name` and every alias; a clash is an error."""
        family = _family(cls)
        if not cls.type_name:
            raise ValueError(f"{cls.__qualname__} has no type_name")
        table = self._types[family]
        for name in (cls.type_name, *cls.type_aliases):
            existing = table.get(name)
            if existing is not None and existing is not cls:
                raise ValueError(f"{family} type {name!r} is already registered by {existing.__qualname__}")
            table[name] = cls

    def resolve(self, name: str, family: Family = "task") -> type[Plugin] | None:
        """Return the class registered as `name`, or None."""
        return self._types[family].get(name)

    def task(self, name: str) -> type[Task] | None:
        """Return the task class registered as `name`, or None."""
        found = self._types["task"].get(name)
        return found if found is not None and issubclass(found, Task) else None

    def names(self, family: Family = "task") -> list[str]:
        """Every accepted name of the family, sorted."""
        return sorted(self._types[family])

    def classes(self, family: Family = "task") -> list[type[Plugin]]:
        """Every registered class of the family, once each."""
        return list(dict.fromkeys(self._types[family].values()))

    def suggest(self, name: str, family: Family = "task") -> str | None:
        """The closest accepted name to a misspelt one, for 'did you mean ...?', or None.

        Close means a few typing slips away (`_distance`), at most a third of the name's
        last segment: a shared `io.kestra.plugin.core.` prefix makes unrelated names look
        alike to a similarity ratio (`kv.Set` against `flow.Sleep`), not to a slip count.
        """
        wanted = name.lower()
        budget = max(1, len(wanted.rsplit(".", 1)[-1]) // 3)
        best: tuple[int, str] | None = None
        for candidate in sorted(self._types[family]):
            if abs(len(candidate) - len(wanted)) > budget:
                continue
            distance = _distance(wanted, candidate.lower())
            if distance <= budget and (best is None or distance < best[0]):
                best = (distance, candidate)
        return best[1] if best else None

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register the types exposed by installed packages; a broken plugin is logged, not fatal."""
        for entry in entry_points(group=group):
            try:
                loaded = entry.load()
                for cls in loaded if isinstance(loaded, Iterable) else (loaded,):
                    self.register(cls)
            except Exception:
                _log.exception("could not load %s entry point %r", group, entry.name)


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) turning `a` into `b`."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
    return previous[-1]


def _family(cls: type[Plugin]) -> Family:
    if isinstance(cls, type) and issubclass(cls, Task):
        return "task"
    if isinstance(cls, type) and issubclass(cls, Trigger):
        return "trigger"
    raise TypeError(f"{cls!r} is neither a Task nor a Trigger subclass")


_default: Registry | None = None
_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry: built-in types plus entry point plugins, loaded once."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                from harrier.core.tasks import BUILTIN_TASKS
                from harrier.core.triggers import BUILTIN_TRIGGERS

                registry = Registry()
                for cls in (*BUILTIN_TASKS, *BUILTIN_TRIGGERS):
                    registry.register(cls)
                registry.load_entry_points()
                _default = registry
    return _default
