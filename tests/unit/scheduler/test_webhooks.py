from __future__ import annotations

from datetime import datetime, timezone

import pytest

from harrier.core.validation import parse_flow
from harrier.scheduler.exceptions import WebhookConditionsNotMet, WebhookDisabled, WebhookNotFound
from harrier.scheduler.webhooks import webhook_execution

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def flow(triggers: str, extra: str = "") -> object:
    return parse_flow(f"""id: hooked
namespace: company.team
{extra}tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
{triggers}""")


HOOK = """  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: s3cr3t
"""


def call(flows: dict, key: str = "s3cr3t", **kwargs: object):
    return webhook_execution(flows, "company.team", "hooked", key, body={"a": 1}, headers={"X-Token": "t"},
                             query={"page": "2"}, now=NOW, **kwargs)


def test_builds_the_execution_with_request_in_trigger() -> None:
    created = call({("company.team", "hooked"): flow(HOOK)}, request_id="r1")
    assert (created.namespace, created.flow_id) == ("company.team", "hooked")
    assert created.trigger == {"id": "hook", "type": "Webhook", "body": {"a": 1}, "headers": {"x-token": "t"},
                               "parameters": {"page": "2"}}
    assert created.execution_id == call({("company.team", "hooked"): flow(HOOK)}, request_id="r1").execution_id
    assert created.execution_id != call({("company.team", "hooked"): flow(HOOK)}, request_id="r2").execution_id


def test_lookup_may_be_a_function() -> None:
    found = flow(HOOK)
    created = webhook_execution(lambda ns, fid: found if (ns, fid) == ("company.team", "hooked") else None,
                                "company.team", "hooked", "s3cr3t", body=None, headers={}, query={}, now=NOW)
    assert created.flow_id == "hooked"


def test_unknown_flow_and_wrong_key_are_the_same_404() -> None:
    with pytest.raises(WebhookNotFound) as unknown:
        call({})
    with pytest.raises(WebhookNotFound) as wrong:
        call({("company.team", "hooked"): flow(HOOK)}, key="guess")
    assert unknown.value.status == wrong.value.status == 404
    assert str(unknown.value) == str(wrong.value)


def test_disabled_flow_or_trigger_is_refused() -> None:
    with pytest.raises(WebhookDisabled, match="flow company.team/hooked is disabled"):
        call({("company.team", "hooked"): flow(HOOK, extra="disabled: true\n")})
    with pytest.raises(WebhookDisabled, match="trigger company.team/hooked/hook"):
        call({("company.team", "hooked"): flow(HOOK)}, disabled=frozenset({"company.team/hooked/hook"}))
    with pytest.raises(WebhookDisabled):
        call({("company.team", "hooked"): flow(HOOK + "    disabled: true\n")})


def test_conditions_refuse_a_call_with_kestras_204() -> None:
    flows = {("company.team", "hooked"): flow(HOOK + """    conditions:
      - type: io.kestra.plugin.core.condition.ExpressionCondition
        expression: "{{ trigger.body.a == 1 and trigger.parameters.page == '2' }}"
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: company.team
        flowId: hooked
""")}
    assert call(flows).trigger["body"] == {"a": 1}
    with pytest.raises(WebhookConditionsNotMet) as refused:
        webhook_execution(flows, "company.team", "hooked", "s3cr3t", body={"a": 2}, headers={}, query={"page": "2"},
                          now=NOW)
    assert refused.value.status == 204
