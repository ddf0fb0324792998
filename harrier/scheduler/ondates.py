"""One evaluation of a ScheduleOnDates trigger: the listed dates due now, as a Schedule's ticks.

A date fires like a cron tick: at most one execution at a time (the trigger locks until it
ends), dates missed while the scheduler was down or the trigger locked follow
``recoverMissedSchedules`` (ALL, LAST, NONE; the scheduler's default otherwise), and a date
its ``conditions`` refuse starts nothing. After the last date the trigger waits for nothing.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta
from typing import Any

from harrier.core.conditions import Conditions
from harrier.core.triggers import ScheduleOnDates
from harrier.scheduler.firing import schedule_variables, triggered_execution
from harrier.scheduler.schedules import ScheduleStep, conditions_hold
from harrier.scheduler.state import TriggerState
from harrier.scheduler.ticks import LatePolicy

__all__ = ["evaluate_on_dates", "first_date_after"]


def first_date_after(trigger: ScheduleOnDates, instant: datetime) -> datetime | None:
    """The first listed date strictly after ``instant`` (None past the last one)."""
    index = bisect.bisect_right(trigger.dates, instant)
    return trigger.dates[index] if index < len(trigger.dates) else None


def evaluate_on_dates(
    state: TriggerState,
    trigger: ScheduleOnDates,
    now: datetime,
    *,
    tolerance: timedelta,
    default_policy: LatePolicy,
    conditions: Conditions | None = None,
) -> ScheduleStep:
    """Fire the date due at ``now`` (the first accepted one, under the late-date policy)."""
    if state.execution_id is not None or state.next_date is None or state.next_date > now:
        return ScheduleStep(state, ())
    due = [d for d in trigger.dates if state.next_date <= d <= now]
    on_time = [d for d in due if d >= now - tolerance]
    policy = LatePolicy(trigger.recover_missed_schedules or default_policy)
    late = [d for d in due if d < now - tolerance]
    if policy is LatePolicy.ALL:
        candidates = due
    elif policy is LatePolicy.LAST:
        candidates = late[-1:] + on_time
    else:
        candidates = on_time
    updates: dict[str, Any] = {"updated_at": now}
    for date in candidates:
        variables = schedule_variables(date, None, None, trigger.timezone)
        del variables["next"], variables["previous"]
        if conditions is not None and not conditions_hold(conditions, state, variables, date):
            continue
        created = triggered_execution(state, variables, ("schedule", date.isoformat()), now, inputs=trigger.inputs)
        updates.update(next_date=first_date_after(trigger, date), execution_id=created.execution_id, locked_at=now)
        return ScheduleStep(state.model_copy(update=updates), (created,), dropped=bool(late) and policy is not LatePolicy.ALL)
    updates["next_date"] = first_date_after(trigger, now)
    return ScheduleStep(state.model_copy(update=updates), (), dropped=bool(late) and policy is not LatePolicy.ALL)
