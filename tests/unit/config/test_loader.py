"""The layered loader: precedence, environment mapping and the one-line errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from harrier.config import DEFAULTS_FILE, ConfigError, Settings, load_settings, render_settings


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_defaults_alone_give_the_documented_values() -> None:
    settings = load_settings(environ={})
    assert settings.executor.poll_ms == 25
    assert settings.executor.commit_interval_ms == 25
    assert settings.executor.processing_guarantee == "exactly_once"
    assert settings.executor.state_tombstone_grace == timedelta(hours=1)
    assert settings.topics.prefix == "harrier."
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"


def test_defaults_file_mirrors_the_model_defaults() -> None:
    # defaults.yml documents every key; the model holds the same defaults for code that
    # builds Settings() directly. They must not drift apart.
    documented = yaml.safe_load(DEFAULTS_FILE.read_text())
    expected = Settings().model_dump(mode="json")
    expected["topics"]["overrides"] = {}
    assert documented == expected


def test_file_overrides_defaults_and_later_file_overrides_earlier(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yml", "executor:\n  poll-ms: 10\n  commit-interval-ms: 40\n")
    second = write(tmp_path, "b.yml", "executor:\n  poll-ms: 15\n")
    settings = load_settings([first, second], environ={})
    assert settings.executor.poll_ms == 15
    assert settings.executor.commit_interval_ms == 40
    # Keys no file mentions keep their defaults (deep merge, not section replacement).
    assert settings.executor.processing_guarantee == "exactly_once"


def test_environment_overrides_files(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yml", "executor:\n  poll-ms: 10\n")
    settings = load_settings([path], environ={"HARRIER__EXECUTOR__POLL_MS": "50"})
    assert settings.executor.poll_ms == 50


def test_environment_ignores_unrelated_variables() -> None:
    settings = load_settings(environ={"HARRIER_TEST_KAFKA": "x:1", "PATH": "/bin"})
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"


def test_environment_property_maps_use_dots() -> None:
    settings = load_settings(
        environ={
            "HARRIER__KAFKA__PROPERTIES__SECURITY_PROTOCOL": "SSL",
            "HARRIER__KAFKA__PRODUCER__LINGER_MS": "2",
            "HARRIER__TOPICS__OVERRIDES__LOGS__CONFIG__SEGMENT_MS": "60000",
        }
    )
    assert settings.kafka.properties == {"security.protocol": "SSL"}
    assert settings.kafka.producer == {"linger.ms": 2}
    assert settings.topics.overrides.logs.config == {"segment.ms": 60000}


def test_environment_values_are_yaml() -> None:
    settings = load_settings(
        environ={"HARRIER__ELASTICSEARCH__HOSTS": "[http://a:9200, http://b:9200]"}
    )
    assert settings.elasticsearch.hosts == ["http://a:9200", "http://b:9200"]


def test_kafka_properties_merge_key_by_key(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yml", "kafka:\n  properties:\n    client.rack: r1\n")
    settings = load_settings([path], environ={"HARRIER__KAFKA__PROPERTIES__SOCKET_TIMEOUT_MS": "9"})
    assert settings.kafka.properties == {"client.rack": "r1", "socket.timeout.ms": 9}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "executor:\n  poll-ms: fast\n",
            "executor.poll-ms: input should be a valid integer (got 'fast')",
        ),
        ("executor:\n  pol-ms: 3\n", "executor.pol-ms: unknown key"),
        ("executr:\n  poll-ms: 3\n", "executr: unknown key"),
        (
            "topics:\n  overrides:\n    executionz: {partitions: 2}\n",
            "topics.overrides.executionz: unknown key",
        ),
        (
            "executor:\n  processing-guarantee: twice\n",
            "executor.processing-guarantee: input should be 'exactly_once' or 'at_least_once'"
            " (got 'twice')",
        ),
        ("executor: fast\n", "executor: expected a mapping (got 'fast')"),
        (
            "elasticsearch:\n  hosts: [http://a:9200, 3]\n",
            "elasticsearch.hosts[1]: input should be a valid string (got 3)",
        ),
        (
            "webserver:\n  port: 70000\n",
            "webserver.port: input should be less than or equal to 65535 (got 70000)",
        ),
    ],
)
def test_invalid_values_name_file_and_key_path(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "local.yml", text)
    with pytest.raises(ConfigError) as caught:
        load_settings([path], environ={})
    assert str(caught.value) == f"config error: {path}: {message}"


def test_error_names_the_file_that_set_the_key(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yml", "executor:\n  poll-ms: 10\n")
    bad = write(tmp_path, "bad.yml", "executor:\n  commit-interval-ms: soon\n")
    with pytest.raises(ConfigError) as caught:
        load_settings([bad, good], environ={})
    assert str(caught.value) == (
        f"config error: {bad}: executor.commit-interval-ms: "
        "input should be a valid integer (got 'soon')"
    )


def test_several_errors_are_counted_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yml", "executor:\n  pol-ms: 3\n  poll-ms: x\n")
    with pytest.raises(ConfigError) as caught:
        load_settings([path], environ={})
    line = str(caught.value)
    assert "\n" not in line
    assert line.endswith("(and 1 more)")


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.yml")
    with pytest.raises(ConfigError) as caught:
        load_settings([path], environ={})
    assert str(caught.value) == f"config error: {path}: file not found"


def test_bad_yaml_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yml", "executor:\n  poll-ms: 5\n    commit-interval-ms: 3\n")
    with pytest.raises(ConfigError) as caught:
        load_settings([path], environ={})
    assert str(caught.value) == (
        f"config error: {path}:3:23: invalid YAML: mapping values are not allowed here"
    )


def test_duplicate_keys_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.yml", "executor:\n  poll-ms: 5\n  poll-ms: 6\n")
    with pytest.raises(ConfigError) as caught:
        load_settings([path], environ={})
    assert str(caught.value) == f"config error: {path}:3:3: invalid YAML: duplicate key 'poll-ms'"


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yml", "- a\n- b\n")
    with pytest.raises(ConfigError) as caught:
        load_settings([path], environ={})
    assert str(caught.value) == (
        f"config error: {path}: expected a mapping at the top level, got a list"
    )


def test_empty_file_changes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.yml", "# nothing yet\n")
    assert load_settings([path], environ={}) == load_settings(environ={})


def test_environment_errors_name_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"HARRIER__EXECUTOR__POLL_MS": "fast"})
    assert str(caught.value) == (
        "config error: env HARRIER__EXECUTOR__POLL_MS: executor.poll-ms: "
        "input should be a valid integer (got 'fast')"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"HARRIER__EXECUTOR__POL_MS": "1"})
    assert str(caught.value) == (
        "config error: env HARRIER__EXECUTOR__POL_MS: executor.pol-ms: unknown key"
    )


def test_co_partitioned_topics_must_match(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yml", "topics:\n  overrides:\n    executions: {partitions: 3}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings([path], environ={})
    assert str(caught.value) == (
        f"config error: {path}: topics.overrides: executions has 3 partitions and "
        "worker-results has 8: they are co-partitioned and must have the same count"
    )
    both = write(
        tmp_path,
        "both.yml",
        "topics:\n  overrides:\n"
        "    executions: {partitions: 3}\n    worker-results: {partitions: 3}\n",
    )
    settings = load_settings([both], environ={})
    assert settings.topics.overrides.worker_results.partitions == 3


def test_snake_case_keys_are_unknown(tmp_path: Path) -> None:
    # One spelling only, so a file never holds two keys meaning the same thing.
    path = write(tmp_path, "s.yml", "executor:\n  poll_ms: 5\n")
    with pytest.raises(ConfigError) as caught:
        load_settings([path], environ={})
    assert str(caught.value) == f"config error: {path}: executor.poll_ms: unknown key"


def test_shipped_examples_load() -> None:
    folder = DEFAULTS_FILE.parent
    docker = load_settings([folder / "docker.yml"], environ={})
    assert docker.kafka.bootstrap_servers == "kafka:9092"
    assert docker.elasticsearch.hosts == ["http://elasticsearch:9200"]
    local = load_settings([folder / "local.yml"], environ={})
    assert local.kafka.bootstrap_servers == "127.0.0.1:9092"


def test_render_round_trips_and_omits_empty_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "o.yml", "topics:\n  overrides:\n    logs: {retention-ms: 1000}\n")
    settings = load_settings([path], environ={})
    rendered = render_settings(settings)
    data = yaml.safe_load(rendered)
    assert data["topics"]["overrides"] == {"logs": {"retention-ms": 1000}}
    again = write(tmp_path, "rendered.yml", rendered)
    assert load_settings([again], environ={}) == settings


def test_rendered_settings_hide_every_credential(tmp_path) -> None:
    key = "ZTFsa4huyvjEQxHMv6mpBVJxstMAtPSzyvddPpV/Ll0="
    config = tmp_path / "c.yml"
    config.write_text(
        "webserver:\n  auth:\n    mode: bearer\n    tokens: [tok-123]\n    users: {ada: pw-456}\n"
        f"encryption:\n  secret-key: {key}\n"
        "kafka:\n  properties:\n    sasl.password: kafka-789\n    ssl.keystore.password: ks-000\n"
    )
    rendered = render_settings(load_settings([config]))
    for secret in ("tok-123", "pw-456", key, "kafka-789", "ks-000"):
        assert secret not in rendered
    assert "ada: '******'" in rendered and "sasl.password: '******'" in rendered
