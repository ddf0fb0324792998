"""schemathesis against the published OpenAPI document: no input makes the API answer 5xx.

Every operation gets generated requests (valid and invalid parameters and bodies) through
hypothesis directly: schemathesis' own pytest loader does not work with pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from webserver_stack import Stack

pytestmark = pytest.mark.integration

FLOW = "id: fuzzed\nnamespace: fuzz\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
EXAMPLES = 15


def test_no_generated_request_makes_the_api_answer_5xx(stack: Stack) -> None:
    # Something for the generated requests to find, so not every path is a 404.
    stack.client.post("/api/v1/flows", content=FLOW, headers={"Content-Type": "application/x-yaml"})
    stack.client.post("/api/v1/main/flows", content=FLOW.replace("fuzzed", "kestra"),
                      headers={"Content-Type": "application/x-yaml"})
    schema = schemathesis.openapi.from_url(f"{stack.url}/openapi.json")
    failures: dict[str, str] = {}
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=stack.url, timeout=30, checks=[not_a_server_error])

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
            failures[operation.label] = str(exc)[:2000]
    assert tested >= 61, "every operation, at /api/v1 and at /api/v1/{tenant}"
    assert not failures, "\n\n".join(f"{label}:\n{error}" for label, error in failures.items())
