"""The launcher's tool discovery fails with a one-line reason when Java or Maven is missing."""

from __future__ import annotations

import pytest

from harrier.infra import java
from harrier.infra.exceptions import InfraError


def test_missing_java_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(InfraError, match=r"^java not found: install a JDK >= 17"):
        java.find_java()


def test_missing_maven_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InfraError, match=r"^mvn not found"):
        java.find_maven()


def test_elasticsearch_jdk_must_be_new_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")
    with pytest.raises(InfraError, match=r"no JDK >= 21 found for Elasticsearch"):
        java.find_newer_java_home(21)


def test_newest_jdk_is_found_for_elasticsearch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ES_JAVA_HOME", raising=False)
    home = java.find_newer_java_home(21)
    assert (java._major(f"{home}/bin/java")) >= 21
