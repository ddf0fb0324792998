"""A flow's inputs and triggers as JSON for readers of the API (the UI's run form and trigger list)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from harrier.core.cron import CronSchedule
from harrier.core.inputs import Input
from harrier.core.triggers import Schedule, Trigger

__all__ = ["input_json", "next_fire", "trigger_json"]

# What a form needs of an input; validator and dependsOn stay with the server's own checks.
_INPUT_FIELDS: set[str] = {
    "id", "type", "description", "display_name", "required", "defaults", "values", "options",
    "allow_custom_value", "min", "max", "min_length", "max_length", "item_type", "after", "before",
}


def input_json(declared: Input) -> dict[str, Any]:
    """An input with its YAML (camelCase) keys; properties left unset are left out."""
    return declared.model_dump(mode="json", by_alias=True, include=_INPUT_FIELDS, exclude_none=True)


def next_fire(schedule: Schedule, after: datetime) -> datetime:
    """The Schedule's first tick strictly after ``after`` (aware), in UTC, as the scheduler
    computes it (its timezone, withSeconds, daylight-saving rules)."""
    # A CronSchedule of its own: the shared ones (cron_schedule) reuse one iterator and are not
    # thread-safe, and the scheduler may run in the same process.
    return CronSchedule(schedule.cron, schedule.timezone, schedule.with_seconds).next_after(after)


def trigger_json(trigger: Trigger, now: datetime, flow_disabled: bool = False) -> dict[str, Any]:
    """A trigger's id, type as written and disabled flag; a Schedule adds its cron and
    ``nextDate`` (ISO-8601 UTC with Z), None when the trigger or its flow is disabled."""
    body: dict[str, Any] = {"id": trigger.id, "type": trigger.type, "disabled": trigger.disabled}
    if isinstance(trigger, Schedule):
        body["cron"] = trigger.cron
        off = trigger.disabled or flow_disabled
        body["nextDate"] = None if off else next_fire(trigger, now).isoformat(timespec="seconds").replace("+00:00", "Z")
    return body
