"""The Flow triggers of a partition: compiled conditions and the upstream events fired for.

A snapshot of an ended execution may be read more than once (the executor rewrites it, a
reader rewinds for a newly started partition); an event is the execution id with its
number of state changes, so a restart of the upstream execution fires again but the same
end does not.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from harrier.scheduler.conditions import FlowMatcher, compile_flow_matcher
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.state import TriggerState
from harrier.scheduler.upstream import ExecutionView

__all__ = ["FlowTriggerIndex"]

logger = logging.getLogger("harrier.scheduler")


class FlowTriggerIndex:
    """Enabled Flow triggers by uid, and the most recent events each already fired for."""

    def __init__(self, memory: int = 100_000) -> None:
        self._matchers: dict[str, FlowMatcher] = {}
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
            self._matchers[state.uid] = compile_flow_matcher(
                state.declaration, f"{state.namespace}/{state.flow_id}: triggers.{state.trigger_id}")
        except TriggerDefinitionError as exc:
            self._matchers.pop(state.uid, None)
            logger.error("%s", exc)

    def discard(self, uid: str) -> None:
        """Forget a deleted trigger."""
        self._matchers.pop(uid, None)

    def fired_by(self, execution: ExecutionView) -> list[str]:
        """The triggers ``execution`` fires now (each event at most once per trigger)."""
        out = []
        for uid, matcher in self._matchers.items():
            if not matcher.matches(execution):
                continue
            event = (uid, execution.id, execution.transitions)
            if event in self._fired:
                continue
            self._fired[event] = None
            if len(self._fired) > self._memory:
                self._fired.popitem(last=False)
            out.append(uid)
        return out
