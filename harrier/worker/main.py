"""`run_worker(settings)`: what `harrier server worker` calls."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from harrier.config.settings import Settings
from harrier.probes import start_probes
from harrier.worker.probes import WorkerCollector, worker_readiness
from harrier.worker.runner import Worker

__all__ = ["run_worker"]

logger = logging.getLogger("harrier.worker")


def run_worker(settings: Settings, *, shutdown_grace_s: float = 30.0) -> None:
    """Run a worker until SIGTERM or SIGINT, then let running tasks finish (or release them)."""
    try:
        worker = Worker(settings, shutdown_grace_s=shutdown_grace_s)
    except ValueError as exc:
        logger.error("worker not started: %s", exc)
        raise SystemExit(2) from None
    if threading.current_thread() is threading.main_thread():
        def request_stop(signum: int, _: FrameType | None) -> None:
            logger.info("received %s: stopping", signal.Signals(signum).name)
            worker.stop()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    probes = start_probes(
        "worker", settings.worker.probe_host, settings.worker.probe_port,
        lambda: worker_readiness(worker), [WorkerCollector(worker)],
    )
    try:
        worker.run()
    finally:
        if probes is not None:
            probes.stop()
