"""``run_scheduler``: what ``harrier server scheduler`` runs."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import timedelta

from harrier.config.settings import Settings
from harrier.probes import start_probes
from harrier.scheduler.clock import Clock, SystemClock
from harrier.scheduler.exceptions import TopicLayoutError
from harrier.scheduler.monitor import LockMonitor
from harrier.scheduler.probes import SchedulerCollector, scheduler_readiness
from harrier.scheduler.runtime import Scheduler
from harrier.scheduler.ticks import LatePolicy
from harrier.topics.clients import create_consumer

__all__ = ["run_scheduler"]

logger = logging.getLogger("harrier.scheduler")


def run_scheduler(
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    clock: Clock | None = None,
    instance_id: str | None = None,
    default_policy: LatePolicy = LatePolicy.ALL,
    monitor_interval: timedelta = timedelta(seconds=60),
) -> int:
    """Run one scheduler instance until ``stop`` is set (or SIGTERM / SIGINT in the main thread).

    Returns the process exit code: 0 after a clean stop, 2 when the topics do not fit.
    """
    stop = stop or threading.Event()
    clock = clock or SystemClock()
    instance_id = instance_id or f"{socket.gethostname()}-{os.getpid()}"
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    scheduler = Scheduler(settings, clock=clock, instance_id=instance_id, default_policy=default_policy)
    monitor = LockMonitor(
        create_consumer(settings, None, f"{scheduler.group}-{instance_id}-monitor", overrides={"enable.partition.eof": True}),
        scheduler.states_topic,
        lambda: [lock for part in list(scheduler.partitions.values()) for lock in part.locked()],
        clock,
        interval=monitor_interval,
    )
    probes = start_probes(
        "scheduler", settings.scheduler.probe_host, settings.scheduler.probe_port,
        lambda: scheduler_readiness(scheduler), [SchedulerCollector(scheduler)],
    )
    monitor.start()
    logger.info("scheduler %s starting (group %s)", instance_id, scheduler.group)
    try:
        scheduler.run(stop)
    except TopicLayoutError as exc:
        logger.error("scheduler cannot start: %s", exc)
        return 2
    finally:
        monitor.stop_event.set()
        monitor.join(timeout=10)
        if probes is not None:
            probes.stop()
        logger.info("scheduler %s stopped", instance_id)
    return 0
