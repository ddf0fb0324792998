"""Topic specs resolved from the settings."""

from __future__ import annotations

import pytest

from harrier.config import Settings
from harrier.topics.specs import (
    CO_PARTITIONED,
    LOGICAL_TOPICS,
    build_specs,
    largest_message_bytes,
    topic_name,
)


def settings(**data: object) -> Settings:
    return Settings.model_validate(data)


def test_every_architecture_topic_has_a_spec() -> None:
    assert set(build_specs(Settings())) == {
        "flows",
        "executions",
        "executions-by-flow",
        "worker-results",
        "execution-states",
        "worker-tasks",
        "worker-controls",
        "logs",
        "metrics",
        "triggers",
        "flow-slots",
        "kv",
        "dead-letters",
    }
    assert set(LOGICAL_TOPICS) == set(build_specs(Settings()))


def test_names_use_the_prefix() -> None:
    specs = build_specs(settings(topics={"prefix": "test-1."}))
    assert specs["executions"].name == "test-1.executions"
    assert topic_name(settings(topics={"prefix": "p."}), "worker-results") == "p.worker-results"
    with pytest.raises(KeyError, match="unknown topic 'nope'"):
        topic_name(Settings(), "nope")


def test_cleanup_policies_follow_the_architecture() -> None:
    specs = build_specs(Settings())
    compacted = {name for name, spec in specs.items() if spec.cleanup_policy == "compact"}
    assert compacted == {"flows", "execution-states", "triggers", "flow-slots", "kv"}
    assert specs["execution-states"].retention_ms is None
    assert "retention.ms" not in specs["execution-states"].config()
    assert specs["executions"].config()["retention.ms"] == str(24 * 3_600_000)


def test_execution_states_hold_the_largest_snapshot() -> None:
    spec = build_specs(settings(executor={"max-snapshot-bytes": 2_000_000}))["execution-states"]
    assert spec.max_message_bytes > 2_000_000
    default = build_specs(Settings())["execution-states"]
    assert default.max_message_bytes >= 8 * 1024 * 1024


def test_dead_letters_fit_any_other_record() -> None:
    specs = build_specs(settings(topics={"overrides": {"logs": {"max-message-bytes": 20_000_000}}}))
    others = max(spec.max_message_bytes for name, spec in specs.items() if name != "dead-letters")
    assert others == 20_000_000
    assert specs["dead-letters"].max_message_bytes > others
    assert largest_message_bytes(specs) == specs["dead-letters"].max_message_bytes


def test_co_partitioned_topics_share_the_partition_count() -> None:
    for data in ({}, {"topics": {"partitions": 3}}):
        specs = build_specs(settings(**data))
        counts = {specs[name].partitions for name in CO_PARTITIONED}
        assert len(counts) == 1


def test_overrides_apply_per_topic() -> None:
    specs = build_specs(
        settings(
            topics={
                "partitions": 4,
                "replication-factor": 2,
                "overrides": {
                    "logs": {
                        "partitions": 2,
                        "retention-ms": 3_600_000,
                        "config": {"segment.ms": 60_000, "preallocate": True},
                    },
                    "worker-controls": {"partitions": 3},
                },
            }
        )
    )
    logs = specs["logs"]
    assert (logs.partitions, logs.replication_factor, logs.retention_ms) == (2, 2, 3_600_000)
    assert logs.config()["segment.ms"] == "60000"
    assert logs.config()["preallocate"] == "true"
    assert specs["metrics"].partitions == 4
    assert specs["worker-controls"].partitions == 3


def test_worker_controls_default_to_one_partition() -> None:
    assert build_specs(Settings())["worker-controls"].partitions == 1


def test_config_values_are_strings() -> None:
    for spec in build_specs(Settings()).values():
        config = spec.config()
        assert all(isinstance(value, str) for value in config.values())
        assert config["compression.type"] == spec.compression
        assert config["cleanup.policy"] == spec.cleanup_policy
