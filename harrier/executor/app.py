"""`harrier server executor`: the executor's stream processes under one supervisor."""

from __future__ import annotations

import functools

from harrier.config.settings import Settings
from harrier.executor.processor import create_processor
from harrier.executor.runtime import RuntimeConfig
from harrier.executor.supervisor import Supervisor

__all__ = ["run_executor"]


def run_executor(settings: Settings) -> int:
    """Run ``executor.stream-threads`` stream processes until SIGTERM; the exit code."""
    config = RuntimeConfig(settings)
    return Supervisor(config, functools.partial(create_processor, settings)).run()
