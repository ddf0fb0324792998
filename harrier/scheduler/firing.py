"""Building the CreateExecution a trigger sends, with its ``trigger`` variables.

| trigger          | ``trigger`` variables                                               |
|------------------|---------------------------------------------------------------------|
| Schedule         | date, next, previous (ISO-8601, the trigger's timezone); backfill    |
| Flow             | executionId, namespace, flowId, flowRevision, state, outputs, labels |
| Webhook          | body, headers, parameters (the query string)                        |
| kafka.Realtime   | topic, partition, offset, timestamp, key, value, headers            |
| kafka.Trigger    | messagesCount, messages (each like a realtime record)               |

Every variable set also carries ``id`` and ``type`` of the trigger. Flow-trigger inputs may
be templates over ``trigger`` (``{{ trigger.outputs.date }}``) and are rendered here.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.executionids import execution_id
from harrier.core.expressions import environment_variables, render_value
from harrier.core.messages import CreateExecution
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.state import TriggerState
from harrier.scheduler.upstream import ExecutionView

__all__ = ["flow_trigger_execution", "record_variables", "schedule_execution", "schedule_variables", "triggered_execution", "upstream_variables"]


def triggered_execution(
    state: TriggerState,
    variables: dict[str, Any],
    cause: tuple[str | int, ...],
    now: datetime,
    *,
    inputs: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
) -> CreateExecution:
    """The create command of one firing of ``state``'s trigger, identified by ``cause``."""
    variables = {"id": state.trigger_id, "type": state.type, **variables}
    return CreateExecution(
        execution_id=execution_id(state.uid, *cause),
        namespace=state.namespace,
        flow_id=state.flow_id,
        inputs=dict(inputs or {}),
        labels=dict(labels or {}),
        trigger=variables,
        created_at=now,
    )


def schedule_execution(
    state: TriggerState,
    tick: datetime,
    previous: datetime | None,
    following: datetime,
    now: datetime,
    *,
    inputs: Mapping[str, Any] | None,
    backfill: bool = False,
    labels: Mapping[str, str] | None = None,
    zone: str = "Etc/UTC",
) -> CreateExecution:
    """The execution of one cron tick (a backfilled one when ``backfill``)."""
    variables = schedule_variables(tick, previous, following, zone)
    if backfill:
        variables["backfill"] = True
    return triggered_execution(state, variables, ("schedule", tick.isoformat()), now, inputs=inputs, labels=labels)


def upstream_variables(upstream: ExecutionView) -> dict[str, Any]:
    """The ``trigger`` variables of a Flow trigger fired by ``upstream``."""
    return {
        "executionId": upstream.id,
        "namespace": upstream.namespace,
        "flowId": upstream.flow_id,
        "flowRevision": upstream.flow_revision,
        "state": str(upstream.state),
        "outputs": upstream.outputs or {},
        "labels": upstream.labels,
    }


def schedule_variables(tick: datetime, previous: datetime | None, following: datetime | None, zone: str) -> dict[str, Any]:
    """A tick's ``trigger`` variables, in the trigger's timezone as Kestra gives them."""
    where = zoneinfo.ZoneInfo(zone)
    return {
        "date": tick.astimezone(where).isoformat(),
        "next": following.astimezone(where).isoformat() if following is not None else None,
        "previous": previous.astimezone(where).isoformat() if previous is not None else None,
    }


def flow_trigger_execution(state: TriggerState, upstream: ExecutionView, now: datetime,
                           outputs: Mapping[str, Any] | None = None) -> CreateExecution:
    """The execution a Flow trigger starts when ``upstream`` reached its current state;
    ``outputs`` are those of every execution its windowed conditions counted, merged."""
    variables = upstream_variables(upstream)
    if outputs:
        variables["outputs"] = dict(outputs)
    declared = state.declaration.get("inputs") or {}
    context = {
        "trigger": variables,
        "flow": {"namespace": state.namespace, "id": state.flow_id},
        "envs": environment_variables(),
    }
    where = f"{state.namespace}/{state.flow_id}: triggers.{state.trigger_id}.inputs"
    try:
        inputs = render_value(declared, context, where=where)
    except HarrierExpressionError as exc:
        raise TriggerDefinitionError(f"{where}: {exc.reason}") from None
    cause = ("flow", upstream.id, upstream.transitions)
    return triggered_execution(state, variables, cause, now, inputs=inputs)


def record_variables(
    topic: str, partition: int, offset: int, timestamp_ms: int | None, key: Any, value: Any, headers: dict[str, Any]
) -> dict[str, Any]:
    """The variables of one Kafka record, as realtime and batch triggers expose them."""
    return {
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "timestamp": timestamp_ms,
        "key": key,
        "value": value,
        "headers": headers,
    }
