"""Client property layering (no broker needed: only the property dicts are checked)."""

from __future__ import annotations

from harrier.config import Settings
from harrier.topics.clients import admin_config, consumer_config, producer_config
from harrier.topics.specs import build_specs, largest_message_bytes


def settings(**kafka: object) -> Settings:
    return Settings.model_validate({"kafka": {"bootstrap-servers": "broker:1", **kafka}})


def test_producer_low_latency_defaults() -> None:
    config = producer_config(settings())
    assert config["bootstrap.servers"] == "broker:1"
    assert config["linger.ms"] == 5
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"


def test_producer_accepts_the_largest_topic_record() -> None:
    config = producer_config(settings())
    assert config["message.max.bytes"] > largest_message_bytes(build_specs(settings()))


def test_consumer_low_latency_defaults() -> None:
    config = consumer_config(settings(), "g1")
    assert config["group.id"] == "g1"
    assert config["fetch.wait.max.ms"] == 25
    assert config["enable.auto.commit"] is False
    assert config["isolation.level"] == "read_committed"


def test_consumer_without_group_still_gets_a_group_id() -> None:
    assert consumer_config(settings(), None, client_id="reader")["group.id"] == "reader-unmanaged"


def test_layers_properties_then_role_then_call_site() -> None:
    s = settings(
        properties={"linger.ms": 1, "fetch.wait.max.ms": 7, "client.rack": "r1"},
        producer={"linger.ms": 2},
        consumer={"fetch.wait.max.ms": 9},
        admin={"socket.timeout.ms": 1234},
    )
    assert producer_config(s)["linger.ms"] == 2
    assert producer_config(s, overrides={"linger.ms": 0})["linger.ms"] == 0
    assert producer_config(s)["client.rack"] == "r1"
    assert consumer_config(s, "g")["fetch.wait.max.ms"] == 9
    assert consumer_config(s, "g", overrides={"group.id": "other"})["group.id"] == "other"
    assert admin_config(s)["socket.timeout.ms"] == 1234
    assert "linger.ms" in admin_config(s)  # kafka.properties reach every client
