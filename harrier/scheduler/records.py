"""Envelopes of what the scheduler writes to ``executions``."""

from __future__ import annotations

from harrier.core.messages import CreateExecution
from harrier.topics.serdes import ModelSerde

__all__ = ["CREATE_EXECUTION_SERDE"]

# Commands on ``executions`` use their ``command`` name as the envelope type.
CREATE_EXECUTION_SERDE: ModelSerde[CreateExecution] = ModelSerde("create", CreateExecution)
