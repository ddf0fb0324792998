"""Trigger declarations: from a flow record to per-trigger declarations, and back to models.

A trigger state keeps its declaration as JSON (camelCase, as written in YAML), so a restart
rebuilds the trigger model from the state alone; the flow's YAML is parsed only when its
revision changed. Models are built lazily (the first time a trigger fires) and cached.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson

from harrier.core.conditions import Conditions, Kind, compile_conditions
from harrier.core.exceptions import FlowValidationError
from harrier.core.messages import FlowRecord
from harrier.core.registry import default_registry
from harrier.core.triggers import HttpTrigger, KafkaTrigger, Schedule, ScheduleOnDates, Trigger
from harrier.core.validation import parse_flow
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.ondates import first_date_after
from harrier.scheduler.schedules import first_next_date, start_backfill
from harrier.scheduler.state import TriggerState

__all__ = ["Declarations", "declare_triggers"]

logger = logging.getLogger("harrier.scheduler")

Declared = tuple[Trigger, dict[str, Any], bool]


def declare_triggers(record: FlowRecord) -> list[Declared]:
    """The triggers of a flow record: (model, JSON declaration, flow disabled) for each.

    An invalid flow has no triggers; its problems are logged with file, line and field.
    """
    try:
        flow = parse_flow(record.source, file=f"flows/{record.uid}@{record.revision}")
    except FlowValidationError as exc:
        logger.error("flow %s revision %d is invalid, its triggers are not scheduled:\n%s", record.uid, record.revision, exc)
        return []
    if flow.uid != record.uid:
        logger.error("flow record %s holds flow %s; its triggers are not scheduled", record.uid, flow.uid)
        return []
    declared = []
    for trigger in flow.triggers or ():
        declaration = trigger.model_dump(mode="json", by_alias=True, exclude_none=True, warnings=False)
        declared.append((trigger, declaration, flow.disabled))
    return declared


class Declarations:
    """Trigger models by uid, built from the states' declarations on first use."""

    def __init__(self) -> None:
        self._models: dict[str, tuple[int, Trigger]] = {}
        # Validating a Schedule re-checks its cron (~1 ms); triggers declared alike (all but
        # their id) share one model, and the scheduler never reads a model's id.
        self._shared: dict[bytes, Trigger] = {}
        self._conditions: dict[int, tuple[Trigger, Conditions]] = {}
        self._registry = default_registry()

    def model(self, state: TriggerState) -> Trigger:
        """The trigger model of ``state`` (cached per revision)."""
        cached = self._models.get(state.uid)
        if cached is not None and cached[0] == state.revision:
            return cached[1]
        alike = orjson.dumps({k: v for k, v in state.declaration.items() if k != "id"}, option=orjson.OPT_SORT_KEYS)
        model = self._shared.get(alike)
        if model is None:
            declared_type = state.declaration.get("type", state.type)
            cls = self._registry.resolve(declared_type, "trigger")
            if cls is None:
                raise TriggerDefinitionError(f"{state.uid}: unknown trigger type {declared_type!r}")
            built = cls.model_validate(state.declaration)
            assert isinstance(built, Trigger)
            model = self._shared[alike] = built
        self._models[state.uid] = (state.revision, model)
        return model

    def conditions(self, trigger: Trigger) -> Conditions:
        """The compiled ``conditions`` of a trigger model (cached with the model)."""
        found = self._conditions.get(id(trigger))
        if found is None or found[0] is not trigger:
            # The flow was validated at deploy, so this compiles.
            found = self._conditions[id(trigger)] = (trigger, compile_conditions(trigger.conditions, Kind(trigger.condition_kind)))
        return found[1]

    def forget(self, uid: str) -> None:
        """Drop the cached model of a deleted trigger."""
        self._models.pop(uid, None)

    def initial_fields(self, trigger: Trigger, previous: TriggerState | None, now: datetime) -> dict[str, Any]:
        """The scheduling fields of a (re)declared trigger, keeping what still applies."""
        if isinstance(trigger, Schedule):
            before = self.model(previous) if previous is not None else None
            same_cron = isinstance(before, Schedule) and (before.cron, before.timezone, before.with_seconds) == (
                trigger.cron, trigger.timezone, trigger.with_seconds)
            keep = previous is not None and same_cron and previous.next_date is not None
            next_date = previous.next_date if keep and previous is not None else first_next_date(trigger, now)
            try:
                backfill = start_backfill(trigger, previous.backfill if previous is not None else None, now)
            except (ValueError, KeyError) as exc:
                logger.error("trigger %s: backfill ignored: %s", trigger.id, exc)
                backfill = None
            return {"next_date": next_date, "backfill": backfill}
        if isinstance(trigger, ScheduleOnDates):
            before = self.model(previous) if previous is not None else None
            same = isinstance(before, ScheduleOnDates) and before.dates == trigger.dates
            return {"next_date": previous.next_date if same and previous is not None else first_date_after(trigger, now)}
        if isinstance(trigger, (KafkaTrigger, HttpTrigger)):
            keep = previous is not None and previous.next_date is not None
            return {"next_date": previous.next_date if keep and previous is not None else now + trigger.interval}
        return {"next_date": None}
