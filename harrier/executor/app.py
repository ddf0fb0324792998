"""`harrier server executor`: the executor's stream processes and the concurrency-limit owner."""

from __future__ import annotations

import functools
import signal
import threading
from types import FrameType

from harrier.config.settings import Settings
from harrier.executor.probes import ExecutorCollector, executor_readiness
from harrier.executor.processor import AdmissionProcessor, create_processor
from harrier.executor.runtime import RuntimeConfig
from harrier.executor.supervisor import Supervisor
from harrier.probes import start_probes

__all__ = ["run_executor"]


def run_executor(settings: Settings) -> int:
    """Run ``executor.stream-threads`` stream processes, plus one process owning the admissions
    of concurrency-limited flows (`executions-by-flow` -> `flow-slots`), until SIGTERM."""
    executions = Supervisor(RuntimeConfig(settings), functools.partial(create_processor, settings))
    admissions = Supervisor(
        RuntimeConfig(settings, application_id="executor-admissions", inputs=("executions-by-flow",),
                      changelog="flow-slots"),
        AdmissionProcessor,
        processes=1,
    )
    codes: dict[str, int] = {}

    def supervise(name: str, supervisor: Supervisor) -> None:
        codes[name] = supervisor.run()
        # One side giving up (bad topic layout) stops the other: the executor is one unit.
        executions.request_stop()
        admissions.request_stop()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        executions.request_stop()
        admissions.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    supervisors = {"executions": executions, "admissions": admissions}
    probes = start_probes(
        "executor", settings.executor.probe_host, settings.executor.probe_port,
        lambda: executor_readiness(supervisors), [ExecutorCollector(supervisors)],
    )
    threads = [threading.Thread(target=supervise, args=(name, sup), name=name) for name, sup in supervisors.items()]
    try:
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(0.2)
    finally:
        if probes is not None:
            probes.stop()
    return max(codes.values(), default=0)
