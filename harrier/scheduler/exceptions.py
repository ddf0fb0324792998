"""Scheduler exceptions.

SchedulerError                  base of everything raised by harrier.scheduler
 +-- TriggerDefinitionError     a trigger declaration the scheduler cannot run (unsupported
 |                              condition, deserializer, cron); says which flow and trigger
 +-- TopicLayoutError           flows and triggers do not have the same partition count
 +-- WebhookError               a webhook call cannot start an execution
      +-- WebhookNotFound       no such flow, no webhook trigger with that key (HTTP 404)
      +-- WebhookDisabled       the flow or the trigger is disabled (HTTP 409)
      +-- WebhookConditionsNotMet  the trigger's conditions refuse the call (HTTP 204)
"""

from __future__ import annotations

__all__ = [
    "SchedulerError",
    "TopicLayoutError",
    "TriggerDefinitionError",
    "WebhookConditionsNotMet",
    "WebhookDisabled",
    "WebhookError",
    "WebhookNotFound",
]


class SchedulerError(Exception):
    """Base of the exceptions raised by ``harrier.scheduler``."""


class TriggerDefinitionError(SchedulerError):
    """A trigger declaration cannot be run; the message names the trigger and the field."""


class TopicLayoutError(SchedulerError):
    """``flows`` and ``triggers`` must have the same partition count (states follow flows)."""


class WebhookError(SchedulerError):
    """A webhook request cannot start an execution; ``status`` is the HTTP status to answer."""

    status = 400


class WebhookNotFound(WebhookError):
    """Unknown flow, or no webhook trigger with that key (the same answer, so keys do not leak)."""

    status = 404


class WebhookDisabled(WebhookError):
    """The flow or its webhook trigger is disabled."""

    status = 409


class WebhookConditionsNotMet(WebhookError):
    """The webhook trigger's conditions do not hold for this call: no execution, no body."""

    status = 204
