"""The events a step applies: execution commands, worker results and timer firings."""

from __future__ import annotations

from dataclasses import dataclass

from harrier.core.concurrency import AdmissionDecision
from harrier.core.messages import (
    CreateExecution,
    KillExecution,
    RestartExecution,
    ResumeExecution,
    SubflowEnded,
    WorkerResult,
)

__all__ = ["Event", "TimersDue"]


@dataclass(frozen=True, slots=True)
class TimersDue:
    """The loop's punctuator found the execution's earliest timer due: fire every due timer."""

    execution_id: str


Event = AdmissionDecision | CreateExecution | KillExecution | ResumeExecution | RestartExecution | SubflowEnded | WorkerResult | TimersDue
