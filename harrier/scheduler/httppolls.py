"""http.Trigger polls: the request (sent on a thread beside the loop) and the response test.

The loop renders the request when the trigger is due (``request_of``), a thread pool sends it
(``send``, so a slow endpoint never holds the loop), and the loop tests the response when it
is back (``response_holds``). Kestra's variables: ``response.statusCode``, ``response.body``
(text) and ``response.headers`` in the condition; ``trigger.uri``, ``trigger.code``,
``trigger.headers`` and ``trigger.body`` in the execution it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from harrier.core.conditions import truthy
from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions import environment_variables, render_text, render_value
from harrier.core.triggers import HttpTrigger
from harrier.scheduler.exceptions import TriggerDefinitionError
from harrier.scheduler.state import TriggerState

__all__ = ["HttpRequest", "HttpResponse", "request_of", "response_holds", "send"]

# Kestra's default read timeout for the HTTP client is far longer; a poll is bounded by its
# interval anyway, and one stuck request must not keep a pool thread for good.
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A rendered request."""

    method: str
    uri: str
    headers: dict[str, str]
    params: dict[str, str]
    content: str | None
    form: dict[str, Any] | None
    timeout_s: float


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What came back (``error`` set when nothing did)."""

    uri: str
    code: int | None = None
    headers: dict[str, list[str]] | None = None
    body: str | None = None
    error: str | None = None

    def variables(self) -> dict[str, Any]:
        return {"uri": self.uri, "code": self.code, "headers": self.headers or {}, "body": self.body}


def _context(state: TriggerState) -> dict[str, Any]:
    return {"flow": {"namespace": state.namespace, "id": state.flow_id}, "envs": environment_variables()}


def request_of(state: TriggerState, trigger: HttpTrigger) -> HttpRequest:
    """Render the trigger's request; ``TriggerDefinitionError`` naming the property."""
    context = _context(state)
    where = f"{state.namespace}/{state.flow_id}: triggers.{state.trigger_id}"
    try:
        headers = {str(k): str(v) for k, v in (render_value(trigger.headers or {}, context) or {}).items()}
        if trigger.content_type and trigger.body is not None:
            headers.setdefault("Content-Type", render_text(trigger.content_type, context))
        options = trigger.options or {}
        timeout = options.get("readTimeout") or options.get("timeout")
        return HttpRequest(
            method=render_text(trigger.method, context).upper(),
            uri=render_text(trigger.uri, context),
            headers=headers,
            params={str(k): str(v) for k, v in (render_value(trigger.params or {}, context) or {}).items()},
            content=render_text(trigger.body, context) if trigger.body is not None else None,
            form=render_value(trigger.form_data, context) if trigger.form_data is not None else None,
            timeout_s=float(timeout) if isinstance(timeout, (int, float)) else DEFAULT_TIMEOUT_S,
        )
    except HarrierExpressionError as exc:
        raise TriggerDefinitionError(f"{where}: {exc.reason}") from None


def send(request: HttpRequest) -> HttpResponse:
    """Send ``request`` (on a pool thread); any status is an answer, a failure is ``error``."""
    try:
        with httpx.Client(timeout=request.timeout_s, follow_redirects=True) as client:
            answer = client.request(request.method, request.uri, headers=request.headers, params=request.params or None,
                                    content=request.content, data=request.form)
    except httpx.HTTPError as exc:
        return HttpResponse(request.uri, error=f"{type(exc).__name__}: {exc}")
    headers: dict[str, list[str]] = {}
    for name, value in answer.headers.multi_items():
        headers.setdefault(name, []).append(value)
    return HttpResponse(str(answer.url), answer.status_code, headers, answer.text)


def response_holds(state: TriggerState, trigger: HttpTrigger, response: HttpResponse) -> bool:
    """Whether ``responseCondition`` holds for ``response``."""
    variables = {**_context(state), "response": {"statusCode": response.code, "body": response.body,
                                                  "headers": response.headers or {}}}
    where = f"{state.namespace}/{state.flow_id}: triggers.{state.trigger_id}.responseCondition"
    try:
        return truthy(render_text(trigger.response_condition, variables))
    except HarrierExpressionError as exc:
        raise TriggerDefinitionError(f"{where}: {exc.reason}") from None
