"""What every condition shares: the context it is tested in, and how a compiled one is called.

A condition is compiled once from its declaration (``compile.py``) into a ``Condition``: a
pure test of a ``ConditionContext``. The context carries

- ``variables``: what its expressions see (``trigger``, ``flow``, ``envs``, ...); date
  conditions read ``{{ trigger.date }}`` by default, an ISO-8601 instant whose offset is the
  trigger's timezone, so "which day" is the day where the trigger runs;
- ``execution``: the execution the condition judges (the upstream one for a Flow trigger,
  the one about to start for a Webhook, none for a Schedule);
- ``flow``: the namespace and id of the flow that declares the trigger.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from harrier.core.exceptions import HarrierError
from harrier.core.states import State

__all__ = ["Condition", "ConditionContext", "ConditionError", "ExecutionFacts", "Kind", "Path"]

Path = tuple[str | int, ...]


class ConditionError(HarrierError):
    """A condition cannot be compiled or evaluated; ``path`` locates the property."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def within(self, prefix: Path) -> ConditionError:
        """The same error, located under ``prefix``."""
        return ConditionError((*prefix, *self.path), self.message)


class Kind(enum.Enum):
    """Which trigger a condition list belongs to: it decides the condition types allowed."""

    SCHEDULE = "Schedule"
    FLOW = "Flow"
    WEBHOOK = "Webhook"


class ExecutionFacts(Protocol):
    """The few facts of an execution conditions read."""

    @property
    def namespace(self) -> str: ...
    @property
    def flow_id(self) -> str: ...
    @property
    def state(self) -> State: ...
    @property
    def labels(self) -> Mapping[str, str]: ...
    @property
    def outputs(self) -> Mapping[str, Any] | None: ...
    @property
    def retried_states(self) -> frozenset[State]: ...


@dataclass(frozen=True, slots=True)
class ConditionContext:
    """Everything a condition may look at."""

    variables: Mapping[str, Any]
    flow_namespace: str
    flow_id: str
    execution: ExecutionFacts | None = None

    def render_variables(self) -> dict[str, Any]:
        """The variables with ``flow`` naming the declaring flow."""
        return {**self.variables, "flow": {"namespace": self.flow_namespace, "id": self.flow_id}}


class Condition(Protocol):
    """A compiled condition."""

    def test(self, context: ConditionContext) -> bool:
        """True when the condition holds; ``ConditionError`` when it cannot be evaluated."""
        ...
