"""Harrier executor: the stream runtime (loop, store, restore, checkpoint, supervisor).

The execution logic plugs in through ``harrier.executor.processing.Processor``; the runtime
holds no business logic.
"""

from __future__ import annotations

from harrier.executor.copartitioning import check_co_partitioning
from harrier.executor.exceptions import (
    CoPartitioningError,
    ExecutorError,
    OutputTooLarge,
    StoreError,
)
from harrier.executor.processing import InputRecord, OutputRecord, Processor, StateCodec
from harrier.executor.runtime import RuntimeConfig
from harrier.executor.store import PartitionStore
from harrier.executor.stream_process import (
    EXIT_CONFIG,
    EXIT_FENCED,
    EXIT_OK,
    ProcessorFactory,
    run_stream_process,
)
from harrier.executor.supervisor import Supervisor

__all__ = [
    "EXIT_CONFIG",
    "EXIT_FENCED",
    "EXIT_OK",
    "CoPartitioningError",
    "ExecutorError",
    "InputRecord",
    "OutputRecord",
    "OutputTooLarge",
    "PartitionStore",
    "Processor",
    "ProcessorFactory",
    "RuntimeConfig",
    "StateCodec",
    "StoreError",
    "Supervisor",
    "check_co_partitioning",
    "run_stream_process",
]
