"""The production-like compose deployment: KRaft Kafka, Elasticsearch, one service per component."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harrier.config.loader import load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.kafka.yml"
COMPONENTS = ["executor", "worker", "scheduler", "indexer", "webserver"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_kafka_runs_in_kraft_mode(compose: dict) -> None:
    kafka = compose["services"]["kafka"]["environment"]
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "zookeeper" not in COMPOSE.read_text().lower()
    assert kafka["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == 1


def test_elasticsearch_major_matches_the_client(compose: dict) -> None:
    from importlib.metadata import version

    image = compose["services"]["elasticsearch"]["image"]
    assert image.rsplit(":", 1)[1].split(".")[0] == version("elasticsearch").split(".")[0]


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_component_is_a_service_configured_by_mounted_yaml(compose: dict, component: str) -> None:
    service = compose["services"][component]
    assert service["command"][:2] == ["server", component]
    config_path = service["command"][service["command"].index("--config") + 1]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in service["volumes"]}
    source = ROOT / mounts[config_path]
    settings = load_settings([source])
    assert settings.kafka.bootstrap_servers == "kafka:9092"


@pytest.mark.skipif(
    not shutil.which("docker")
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="the docker compose client plugin is not installed here",
)
def test_docker_compose_accepts_the_file() -> None:
    proc = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_healthcheck_calls_the_components_own_health_port(compose: dict, component: str) -> None:
    settings = load_settings([ROOT / "harrier" / "config" / "docker.yml"])
    section = getattr(settings, component)
    port = section.port if component == "webserver" else section.probe_port
    if component != "webserver":
        # Bound beyond loopback, so a scraper in another container reaches /metrics.
        assert section.probe_host == "0.0.0.0"
    check = " ".join(compose["services"][component]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/health" in check


def test_the_volumes_are_where_the_data_is_written(compose: dict) -> None:
    # The storage volume is mounted at docker.yml's storage.base-path, which the image creates
    # for its user; Kafka writes its log where its volume is (its image's default is /tmp).
    settings = load_settings([ROOT / "harrier" / "config" / "docker.yml"])
    for component in COMPONENTS:
        mounts = {m.split(":")[0]: m.split(":")[1] for m in compose["services"][component]["volumes"]}
        assert mounts["storage"] == settings.storage.base_path
    assert f"mkdir -p {settings.storage.base_path}" in (ROOT / "Dockerfile").read_text()
    kafka = compose["services"]["kafka"]
    assert {m.split(":")[1] for m in kafka["volumes"]} == {kafka["environment"]["KAFKA_LOG_DIRS"]}
    elasticsearch = compose["services"]["elasticsearch"]
    assert [m.split(":")[1] for m in elasticsearch["volumes"]] == ["/usr/share/elasticsearch/data"]


def test_every_component_gets_the_same_encryption_key(compose: dict) -> None:
    for component in COMPONENTS:
        environment = compose["services"][component]["environment"]
        assert environment["HARRIER__ENCRYPTION__SECRET_KEY"] == "${HARRIER_ENCRYPTION_KEY:-}"
