"""Harrier scheduler: Schedule, Flow, Webhook and Kafka triggers, and the loop that fires them."""

from __future__ import annotations

from harrier.core.cron import CronSchedule, cron_schedule
from harrier.scheduler.app import run_scheduler
from harrier.scheduler.clock import Clock, ManualClock, SystemClock
from harrier.scheduler.exceptions import (
    SchedulerError,
    TopicLayoutError,
    TriggerDefinitionError,
    WebhookDisabled,
    WebhookError,
    WebhookNotFound,
)
from harrier.scheduler.monitor import LockMonitor, StaleLock, find_stale_locks
from harrier.scheduler.partition import TriggerPartition
from harrier.scheduler.records import CREATE_EXECUTION_SERDE
from harrier.scheduler.runtime import Scheduler
from harrier.scheduler.state import BackfillProgress, FlowTriggers, Progress, TriggerState, trigger_uid
from harrier.scheduler.ticks import LatePolicy, plan_backfill, plan_ticks
from harrier.scheduler.webhooks import find_webhook, webhook_execution

__all__ = [
    "CREATE_EXECUTION_SERDE",
    "BackfillProgress",
    "Clock",
    "CronSchedule",
    "FlowTriggers",
    "LatePolicy",
    "LockMonitor",
    "ManualClock",
    "Progress",
    "Scheduler",
    "SchedulerError",
    "StaleLock",
    "SystemClock",
    "TopicLayoutError",
    "TriggerDefinitionError",
    "TriggerPartition",
    "TriggerState",
    "WebhookDisabled",
    "WebhookError",
    "WebhookNotFound",
    "cron_schedule",
    "find_stale_locks",
    "find_webhook",
    "plan_backfill",
    "plan_ticks",
    "run_scheduler",
    "trigger_uid",
    "webhook_execution",
]
