"""RuntimeConfig: names, identities and the client properties it layers."""

from __future__ import annotations

from harrier.config import Settings
from harrier.executor import RuntimeConfig


def _config(**kafka: object) -> RuntimeConfig:
    settings = Settings.model_validate({"kafka": kafka, "topics": {"prefix": "x."}})
    return RuntimeConfig(settings, instance_id="host-a")


def test_names_come_from_the_prefix_and_the_instance() -> None:
    config = _config()
    assert config.group_id == "x.executor"
    assert config.input_topics() == {
        "x.executions": "executions",
        "x.worker-results": "worker-results",
    }
    assert config.transactional_id(0) == "x.executor-host-a-0"
    assert config.transactional_id(1) != config.transactional_id(0)
    assert config.exactly_once


def test_correctness_properties_cannot_be_overridden() -> None:
    config = _config(consumer={"partition.assignment.strategy": "roundrobin",
                               "isolation.level": "read_uncommitted"})
    overrides = config.consumer_overrides()
    assert overrides["partition.assignment.strategy"] == "range"
    assert overrides["isolation.level"] == "read_committed"
    assert overrides["enable.auto.commit"] is False


def test_runtime_defaults_yield_to_the_users_properties() -> None:
    assert _config().producer_overrides()["retry.backoff.ms"] == 20
    user = _config(producer={"retry.backoff.ms": 50})
    assert "retry.backoff.ms" not in user.producer_overrides()
    assert "session.timeout.ms" not in _config(
        properties={"session.timeout.ms": 30000}
    ).consumer_overrides()
    assert _config().consumer_overrides()["session.timeout.ms"] == 10_000
