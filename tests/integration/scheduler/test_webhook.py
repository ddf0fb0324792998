"""The webhook's command goes through ``executions`` intact, and only for the right key."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from scheduler_kafka import Cluster, CommandReader, flow_source

from harrier.core.validation import parse_flow
from harrier.scheduler.exceptions import WebhookNotFound
from harrier.scheduler.records import CREATE_EXECUTION_SERDE
from harrier.scheduler.webhooks import webhook_execution
from harrier.topics.clients import create_producer

pytestmark = pytest.mark.integration


def test_webhook_execution_round_trip(cluster: Cluster) -> None:
    flow = parse_flow(flow_source("hooked", "company.team", """  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: "4wjtkzwVGBM9yKnjm3yv8r"
"""))
    flows = {("company.team", "hooked"): flow}
    now = datetime.now(timezone.utc)
    with pytest.raises(WebhookNotFound):
        webhook_execution(flows, "company.team", "hooked", "wrong", body=None, headers={}, query={}, now=now)
    created = webhook_execution(flows, "company.team", "hooked", "4wjtkzwVGBM9yKnjm3yv8r",
                                body={"order": 42, "items": ["a", "b"]}, headers={"Content-Type": "application/json"},
                                query={"dry": "false"}, now=now)
    producer = create_producer(cluster.settings, "webhook-test")
    producer.produce(cluster.topic("executions"), CREATE_EXECUTION_SERDE.encode(created), key=created.execution_id.encode())
    producer.flush(10)
    reader = CommandReader(cluster)
    [received] = reader.wait(1)
    assert received == created
    assert received.trigger["body"] == {"order": 42, "items": ["a", "b"]}
    assert received.trigger["headers"] == {"content-type": "application/json"}
    assert received.trigger["parameters"] == {"dry": "false"}
    reader.close()
