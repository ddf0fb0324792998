"""The webhook endpoint's logic, without HTTP: a request in, a CreateExecution out.

The webserver answers ``/api/v1/executions/webhook/{namespace}/{flowId}/{key}`` by calling
``webhook_execution`` and sending the command on ``executions``; the errors carry the HTTP
status to answer. An unknown flow and a wrong key give the same 404, so keys cannot be
probed flow by flow; a call the trigger's ``conditions`` refuse gets Kestra's 204.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harrier.core.conditions import ConditionContext, ConditionError, Kind, compile_conditions
from harrier.core.exceptions import HarrierExpressionError
from harrier.core.executionids import execution_id
from harrier.core.expressions import environment_variables, render_text
from harrier.core.flows import Flow
from harrier.core.messages import CreateExecution
from harrier.core.states import State
from harrier.core.triggers import Webhook
from harrier.scheduler.exceptions import WebhookConditionsNotMet, WebhookDisabled, WebhookError, WebhookNotFound

__all__ = ["find_webhook", "webhook_execution"]

logger = logging.getLogger("harrier.scheduler")


def find_webhook(flow: Flow, key: str) -> Webhook | None:
    """The flow's Webhook trigger whose key is ``key`` (compared in constant time), if any."""
    for trigger in flow.triggers or ():
        if isinstance(trigger, Webhook) and hmac.compare_digest(_key_of(flow, trigger).encode(), key.encode()):
            return trigger
    return None


def webhook_execution(
    lookup: Callable[[str, str], Flow | None] | Mapping[tuple[str, str], Flow],
    namespace: str,
    flow_id: str,
    key: str,
    *,
    body: Any,
    headers: Mapping[str, str],
    query: Mapping[str, Any],
    now: datetime,
    disabled: frozenset[str] = frozenset(),
    request_id: str | None = None,
) -> CreateExecution:
    """The execution a webhook call starts.

    ``lookup`` finds the latest revision of a flow (a function or a mapping keyed by
    ``(namespace, flow_id)``); ``disabled`` holds trigger uids disabled in the trigger state;
    ``request_id`` makes the execution id reproducible (a random one otherwise).
    """
    flow = lookup(namespace, flow_id) if callable(lookup) else lookup.get((namespace, flow_id))
    if flow is None:
        raise WebhookNotFound(f"flow {namespace}/{flow_id} not found, or no webhook with that key")
    trigger = find_webhook(flow, key)
    if trigger is None:
        raise WebhookNotFound(f"flow {namespace}/{flow_id} not found, or no webhook with that key")
    uid = f"{namespace}/{flow_id}/{trigger.id}"
    if flow.disabled:
        raise WebhookDisabled(f"flow {namespace}/{flow_id} is disabled")
    if getattr(trigger, "disabled", False) or uid in disabled:
        raise WebhookDisabled(f"webhook trigger {uid} is disabled")
    variables = {
        "id": trigger.id,
        "type": Webhook.type_name,
        "body": body,
        "headers": {name.lower(): value for name, value in headers.items()},
        "parameters": dict(query),
    }
    if trigger.conditions and not _conditions_hold(flow, trigger, variables):
        raise WebhookConditionsNotMet(f"{uid}: the trigger's conditions are not met; no execution started")
    return CreateExecution(
        execution_id=execution_id(uid, "webhook", request_id or uuid.uuid4().hex),
        namespace=namespace,
        flow_id=flow_id,
        revision=flow.revision,
        trigger=variables,
        created_at=now,
    )


@dataclass(frozen=True, slots=True)
class _Created:
    """The execution a webhook call would start, as its conditions see it."""

    namespace: str
    flow_id: str
    labels: Mapping[str, str]
    state: State = State.CREATED
    outputs: Mapping[str, Any] | None = None
    retried_states: frozenset[State] = frozenset()


def _conditions_hold(flow: Flow, trigger: Webhook, variables: dict[str, Any]) -> bool:
    # The flow was validated at deploy, so its conditions compile.
    conditions = compile_conditions(trigger.conditions, Kind.WEBHOOK)
    execution = _Created(flow.namespace, flow.id, flow.labels)
    context = ConditionContext({"trigger": variables, "envs": environment_variables()}, flow.namespace, flow.id, execution)
    try:
        return conditions.test(context)
    except ConditionError as exc:
        # As Kestra: a condition that cannot be evaluated does not hold.
        logger.warning("%s/%s: triggers.%s.conditions: %s", flow.namespace, flow.id, trigger.id, exc.message)
        return False


def _key_of(flow: Flow, trigger: Webhook) -> str:
    key = trigger.key
    if "{{" not in key:
        return key
    context = {"flow": {"namespace": flow.namespace, "id": flow.id}, "envs": environment_variables()}
    try:
        return render_text(key, context, where=f"triggers.{trigger.id}.key")
    except HarrierExpressionError as exc:
        raise WebhookError(f"{flow.namespace}/{flow.id}: triggers.{trigger.id}.key: {exc.reason}") from None
