"""The Flow triggers of a partition: compiled conditions and the upstream events fired for.

A snapshot of an ended execution may be read more than once (the executor rewrites it, a
reader rewinds for a newly started partition); an event is the execution id with its
number of state changes, so a restart of the upstream execution fires again but the same
end does not.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from harrier.core.conditions import ConditionContext, ConditionError
from harrier.core.expressions import environment_variables
from harrier.scheduler.conditions import FlowMatcher, compile_flow_matcher
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.firing import upstream_variables
from harrier.scheduler.state import TriggerState
from harrier.scheduler.upstream import ExecutionView

__all__ = ["FlowTriggerIndex", "Matched"]

# A trigger an execution passed the states and plain conditions of, with its context.
Matched = tuple[str, FlowMatcher, ConditionContext]

logger = logging.getLogger("harrier.scheduler")


class FlowTriggerIndex:
    """Enabled Flow triggers by uid, and the most recent events each already fired for."""

    def __init__(self, memory: int = 100_000) -> None:
        # uid -> (matcher, namespace, flow id of the declaring flow)
        self._matchers: dict[str, tuple[FlowMatcher, str, str]] = {}
        self._fired: OrderedDict[tuple[str, str, int], None] = OrderedDict()
        self._memory = memory

    def __len__(self) -> int:
        return len(self._matchers)

    def declare(self, state: TriggerState) -> None:
        """Index (or re-index) a Flow trigger; a disabled or invalid one is left out."""
        if state.disabled:
            self._matchers.pop(state.uid, None)
            return
        try:
            matcher = compile_flow_matcher(state.declaration, f"{state.namespace}/{state.flow_id}: triggers.{state.trigger_id}")
            self._matchers[state.uid] = (matcher, state.namespace, state.flow_id)
        except TriggerDefinitionError as exc:
            self._matchers.pop(state.uid, None)
            logger.error("%s", exc)

    def discard(self, uid: str) -> None:
        """Forget a deleted trigger."""
        self._matchers.pop(uid, None)

    def fired_by(self, execution: ExecutionView) -> list[Matched]:
        """The triggers ``execution`` passes now (each event at most once per trigger)."""
        out: list[Matched] = []
        variables: dict[str, Any] | None = None
        for uid, (matcher, namespace, flow_id) in self._matchers.items():
            if not matcher.passes_quick(execution):
                continue
            event = (uid, execution.id, execution.transitions)
            if event in self._fired:
                continue
            if variables is None:
                variables = {"trigger": upstream_variables(execution), "envs": environment_variables()}
            context = ConditionContext(variables, namespace, flow_id, execution)
            try:
                if matcher.needs_context and not matcher.conditions.test(context):
                    continue
            except ConditionError as exc:
                # As Kestra: a condition that cannot be evaluated does not hold.
                logger.warning("%s/%s: flow trigger %s: condition not evaluated for execution %s: %s",
                               namespace, flow_id, uid, execution.id, exc.message)
                continue
            self._fired[event] = None
            if len(self._fired) > self._memory:
                self._fired.popitem(last=False)
            out.append((uid, matcher, context))
        return out
