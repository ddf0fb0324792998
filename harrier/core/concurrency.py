"""Per-flow concurrency limits across partitions, without a global lock.

Executions are partitioned by execution id, so no executor partition sees all running
executions of a flow. Admission is therefore repartitioned by flow, as Kafka Streams does
for an aggregation on another key:

1. An execution of a flow with `concurrency` starts QUEUED; its executor emits an
   `AdmissionRequest` on `executions-by-flow`, keyed by the flow's `namespace/id`.
2. The partition owning that key holds the flow's `FlowSlots` (the admitted executions and
   the waiting queue) and answers with an `AdmissionDecision` on `executions`, keyed by the
   execution id: RUN when a slot is free; otherwise QUEUE keeps it waiting (no answer yet),
   CANCEL and FAIL answer at once.
3. When an execution that asked for admission ends, its executor emits `ExecutionReleased`
   on `executions-by-flow`; the owner frees the slot and admits the head of the queue.

Everything is keyed and idempotent: a repeated request or release changes nothing, and an
executor ignores a decision for an execution that is no longer QUEUED. The functions here
are the owner's pure logic; `harrier.core.transitions` does the executor's side.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from harrier.core.flows import ConcurrencyBehavior, Flow

__all__ = [
    "AdmissionDecision",
    "AdmissionRequest",
    "Decision",
    "ExecutionReleased",
    "FlowSlots",
    "admit",
    "release",
    "request_for",
]

Decision = Literal["RUN", "CANCEL", "FAIL"]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdmissionRequest(_Message):
    """An execution of a limited flow asks to run (on `executions-by-flow`, key flow uid)."""

    kind: Literal["admission-request"] = "admission-request"
    flow_uid: str
    execution_id: str
    limit: int
    behavior: ConcurrencyBehavior
    requested_at: datetime


class ExecutionReleased(_Message):
    """An execution that asked for admission ended (on `executions-by-flow`, key flow uid)."""

    kind: Literal["execution-released"] = "execution-released"
    flow_uid: str
    execution_id: str


class AdmissionDecision(_Message):
    """The owner's answer (on `executions`, key execution id)."""

    command: Literal["admission"] = "admission"
    execution_id: str
    decision: Decision
    reason: str | None = None


class FlowSlots(_Message):
    """The owner's state for one flow: admitted executions and the waiting queue, in order."""

    flow_uid: str
    limit: int
    running: tuple[str, ...] = ()
    queued: tuple[str, ...] = ()


def request_for(flow: Flow, execution_id: str, now: datetime) -> AdmissionRequest:
    """The admission request of an execution of `flow` (which must have a concurrency limit)."""
    if flow.concurrency is None:
        raise ValueError(f"flow {flow.uid} has no concurrency limit")
    return AdmissionRequest(
        flow_uid=flow.uid,
        execution_id=execution_id,
        limit=flow.concurrency.limit,
        behavior=flow.concurrency.behavior,
        requested_at=now,
    )


def _decision(execution_id: str, decision: Decision, reason: str | None = None) -> AdmissionDecision:
    return AdmissionDecision(execution_id=execution_id, decision=decision, reason=reason)


def admit(slots: FlowSlots | None, request: AdmissionRequest) -> tuple[FlowSlots, list[AdmissionDecision]]:
    """Apply a request: admit, queue, cancel or fail it; a repeated request changes nothing
    (it is answered RUN again if it was admitted, so a lost answer is recovered)."""
    slots = slots or FlowSlots(flow_uid=request.flow_uid, limit=request.limit)
    if slots.limit != request.limit:
        # The flow's latest revision decides the limit.
        slots = slots.model_copy(update={"limit": request.limit})
    execution_id = request.execution_id
    if execution_id in slots.running:
        return slots, [_decision(execution_id, "RUN")]
    if execution_id in slots.queued:
        return slots, []
    if len(slots.running) < slots.limit:
        slots = slots.model_copy(update={"running": (*slots.running, execution_id)})
        return _fill(slots, [_decision(execution_id, "RUN")])
    reason = f"flow {slots.flow_uid} already runs {len(slots.running)} execution(s), its limit is {slots.limit}"
    if request.behavior is ConcurrencyBehavior.QUEUE:
        return slots.model_copy(update={"queued": (*slots.queued, execution_id)}), []
    if request.behavior is ConcurrencyBehavior.CANCEL:
        return slots, [_decision(execution_id, "CANCEL", reason)]
    return slots, [_decision(execution_id, "FAIL", reason)]


def release(slots: FlowSlots | None, released: ExecutionReleased) -> tuple[FlowSlots | None, list[AdmissionDecision]]:
    """Free the slot (or queue place) of an ended execution and admit from the queue.

    Returns None for the slots when nothing is running or queued any more, so the owner
    can delete the key.
    """
    if slots is None:
        return None, []
    execution_id = released.execution_id
    if execution_id in slots.running:
        slots = slots.model_copy(update={"running": tuple(e for e in slots.running if e != execution_id)})
    elif execution_id in slots.queued:
        slots = slots.model_copy(update={"queued": tuple(e for e in slots.queued if e != execution_id)})
    else:
        return slots, []
    slots, decisions = _fill(slots, [])
    if not slots.running and not slots.queued:
        return None, decisions
    return slots, decisions


def _fill(slots: FlowSlots, decisions: list[AdmissionDecision]) -> tuple[FlowSlots, list[AdmissionDecision]]:
    """Admit queued executions while slots are free (a raised limit frees several)."""
    running, queued = list(slots.running), list(slots.queued)
    while queued and len(running) < slots.limit:
        execution_id = queued.pop(0)
        running.append(execution_id)
        decisions.append(_decision(execution_id, "RUN"))
    if len(running) == len(slots.running):
        return slots, decisions
    return slots.model_copy(update={"running": tuple(running), "queued": tuple(queued)}), decisions
