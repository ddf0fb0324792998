"""The scheduler refuses to start when trigger states cannot follow their flows' partitions."""

from __future__ import annotations

import threading

import pytest
from scheduler_kafka import drop_topics

from harrier.config.settings import Settings
from harrier.scheduler.exceptions import TopicLayoutError
from harrier.scheduler.runtime import Scheduler
from harrier.topics.admin import ensure_topics
from harrier.topics.clients import create_admin
from harrier.topics.specs import build_specs

pytestmark = pytest.mark.integration


def test_different_partition_counts_are_refused(kafka_bootstrap: str, unique: str) -> None:
    settings = Settings.model_validate({
        "kafka": {"bootstrap-servers": kafka_bootstrap},
        "topics": {"prefix": f"layout-{unique}.", "partitions": 4, "overrides": {"triggers": {"partitions": 2}}},
    })
    ensure_topics(create_admin(settings), build_specs(settings).values())
    try:
        with pytest.raises(TopicLayoutError, match=r"flows has 4 partitions and .*triggers 2"):
            Scheduler(settings).run(threading.Event())
    finally:
        drop_topics(kafka_bootstrap, settings.topics.prefix)


def test_missing_topics_are_named(kafka_bootstrap: str, unique: str) -> None:
    settings = Settings.model_validate({
        "kafka": {"bootstrap-servers": kafka_bootstrap}, "topics": {"prefix": f"missing-{unique}."}})
    with pytest.raises(TopicLayoutError, match=rf"topic missing-{unique}.flows does not exist"):
        Scheduler(settings).run(threading.Event())
