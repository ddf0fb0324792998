"""One evaluation of a Schedule trigger: which executions to create and the state after it.

Pure: the state, the parsed declaration and the time go in; the new state and the create
commands come out. Backfill ticks fire in batches of ``backfill_batch`` per evaluation, next
to the regular schedule, and do not take the lock. Regular ticks take the lock unless the
trigger allows concurrent executions, in which case every due tick fires at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from harrier.core.conditions import ConditionContext, ConditionError, Conditions
from harrier.core.cron import CronSchedule, cron_schedule
from harrier.core.expressions import environment_variables
from harrier.core.messages import CreateExecution
from harrier.core.triggers import Schedule
from harrier.scheduler.firing import schedule_execution, schedule_variables
from harrier.scheduler.state import BackfillProgress, TriggerState
from harrier.scheduler.ticks import LatePolicy, plan_backfill, plan_ticks

__all__ = ["ScheduleStep", "conditions_hold", "evaluate_schedule", "first_next_date", "start_backfill"]

logger = logging.getLogger("harrier.scheduler")

_EPSILON = timedelta(microseconds=1)
# How many ticks away ``previous`` and ``next`` are looked for when conditions refuse some
# (Kestra looks ten years each way; a per-second cron would make that millions of tests).
_NEAREST_SEARCH = 1000


@dataclass(frozen=True, slots=True)
class ScheduleStep:
    """The outcome of one evaluation."""

    state: TriggerState
    executions: tuple[CreateExecution, ...]
    dropped: bool = False


def cron_of(schedule: Schedule) -> CronSchedule:
    """The cron arithmetic of a Schedule declaration."""
    return cron_schedule(schedule.cron, schedule.timezone, schedule.with_seconds)


def first_next_date(schedule: Schedule, now: datetime) -> datetime:
    """The first tick a new Schedule waits for: the next one after ``now``."""
    return cron_of(schedule).next_after(now)


def start_backfill(schedule: Schedule, current: BackfillProgress | None, now: datetime) -> BackfillProgress | None:
    """The backfill progress for the declaration's ``backfill`` (kept when it did not change)."""
    declared = schedule.backfill
    if not declared:
        return None
    start = _instant(declared.get("start"), "backfill.start")
    end = _instant(declared["end"], "backfill.end") if declared.get("end") else None
    paused = bool(declared.get("paused", False))
    if current is not None and current.start == start and (end is None or current.end == end):
        return current.model_copy(update={"paused": paused}) if current.paused != paused else current
    end = end or now
    if end < start:
        raise ValueError(f"backfill.end {end.isoformat()} is before backfill.start {start.isoformat()}")
    return BackfillProgress(
        start=start,
        end=end,
        current=start,
        paused=paused,
        inputs=declared.get("inputs") or {},
        labels={str(k): str(v) for k, v in (declared.get("labels") or {}).items()},
    )


def evaluate_schedule(
    state: TriggerState,
    schedule: Schedule,
    now: datetime,
    *,
    tolerance: timedelta,
    default_policy: LatePolicy,
    allow_concurrent: bool,
    backfill_batch: int = 100,
    conditions: Conditions | None = None,
) -> ScheduleStep:
    """Fire the backfill ticks and the due ticks of ``state``'s Schedule at ``now``; a tick
    its ``conditions`` refuse starts nothing (and takes no lock)."""
    cron = cron_of(schedule)
    inputs: dict[str, Any] = dict(schedule.inputs or {})
    executions: list[CreateExecution] = []
    updates: dict[str, Any] = {}

    def accepted(ticks: tuple[datetime, ...] | list[datetime]) -> list[datetime]:
        if conditions is None or not conditions.plain:
            return list(ticks)
        return [tick for tick in ticks if _holds(conditions, state, cron, tick)]

    def neighbours(tick: datetime) -> tuple[datetime, datetime]:
        """``previous`` and ``next`` of a fired tick: as Kestra, the nearest ticks the
        conditions accept (the plain cron neighbours when none is near)."""
        before, after = cron.last_at_or_before(tick - _EPSILON), cron.next_after(tick)
        if conditions is None or not conditions.plain:
            return before, after
        return (_nearest(before, lambda t: cron.last_at_or_before(t - _EPSILON), conditions, state, cron),
                _nearest(after, cron.next_after, conditions, state, cron))

    backfill = state.backfill
    if backfill is not None and not backfill.paused and not backfill.done:
        ticks, backfill = plan_backfill(cron, backfill, backfill_batch)
        for tick in accepted(ticks):
            previous, following_tick = neighbours(tick)
            executions.append(schedule_execution(
                state, tick, previous, following_tick, now,
                inputs={**inputs, **backfill.inputs}, backfill=True, labels=backfill.labels, zone=schedule.timezone,
            ))
        updates["backfill"] = backfill

    dropped = False
    if state.execution_id is None and state.next_date is not None and state.next_date <= now:
        policy = LatePolicy(schedule.recover_missed_schedules or default_policy)
        plan = plan_ticks(
            cron, state.next_date, now, policy=policy, tolerance=tolerance,
            late_maximum_delay=schedule.late_maximum_delay,
        )
        dropped = plan.dropped
        fire, following = accepted(plan.fire), plan.next_date
        if fire and not allow_concurrent:
            # One execution at a time: the later due ticks wait for the lock to be released.
            fire, following = fire[:1], cron.next_after(fire[0])
        for tick in fire:
            previous, following_tick = neighbours(tick)
            executions.append(schedule_execution(state, tick, previous, following_tick, now, inputs=inputs,
                                                 zone=schedule.timezone))
        updates["next_date"] = following
        if fire and not allow_concurrent:
            updates["execution_id"] = executions[-1].execution_id
            updates["locked_at"] = now
    if updates:
        updates["updated_at"] = now
        state = state.model_copy(update=updates)
    return ScheduleStep(state, tuple(executions), dropped)


def _nearest(start: datetime, step: Callable[[datetime], datetime], conditions: Conditions, state: TriggerState,
             cron: CronSchedule) -> datetime:
    tick = start
    for _ in range(_NEAREST_SEARCH):
        if _holds(conditions, state, cron, tick, quiet=True):
            return tick
        tick = step(tick)
    return start


def _holds(conditions: Conditions, state: TriggerState, cron: CronSchedule, tick: datetime, *, quiet: bool = False) -> bool:
    variables = schedule_variables(tick, cron.last_at_or_before(tick - _EPSILON), cron.next_after(tick), cron.timezone)
    return conditions_hold(conditions, state, variables, tick, quiet=quiet)


def conditions_hold(conditions: Conditions, state: TriggerState, variables: dict[str, Any], tick: datetime,
                    *, quiet: bool = False) -> bool:
    """Whether a scheduled trigger's ``conditions`` let the tick with ``variables`` fire."""
    context = ConditionContext({"trigger": variables, "schedule": variables, "envs": environment_variables()},
                               state.namespace, state.flow_id)
    try:
        return conditions.test(context)
    except ConditionError as exc:
        if quiet:
            return False
        # Kestra fails such a tick's execution; here it starts none, and says why.
        logger.error("%s: triggers.%s.conditions%s: %s; tick %s not fired", f"{state.namespace}/{state.flow_id}",
                     state.trigger_id, "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path),
                     exc.message, tick.isoformat())
        return False


def _instant(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not an ISO-8601 date-time") from None
    else:
        raise ValueError(f"{where}: expected an ISO-8601 date-time, got {type(value).__name__}")
    if parsed.tzinfo is None:
        raise ValueError(f"{where}: {value!r} has no timezone offset")
    return parsed
