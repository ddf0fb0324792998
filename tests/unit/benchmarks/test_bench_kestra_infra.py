"""The Kestra launcher's pure parts: the Maven project it resolves and the node's configuration."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from harrier.infra import kestra
from harrier.infra.exceptions import InfraError
from harrier.infra.kestra import KESTRA_VERSION, KestraServer

_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def test_pom_imports_kestras_platform_and_excludes_unpublished_processors() -> None:
    root = ET.fromstring(kestra._pom(KESTRA_VERSION))
    bom = root.find("m:dependencyManagement/m:dependencies/m:dependency", _NS)
    assert bom is not None
    assert [bom.findtext(f"m:{tag}", namespaces=_NS) for tag in ("artifactId", "version", "scope")] == [
        "platform", KESTRA_VERSION, "import"]
    deps = root.findall("m:dependencies/m:dependency", _NS)
    assert {d.findtext("m:artifactId", namespaces=_NS) for d in deps} == set(kestra._MODULES)
    for dep in deps:
        excluded = {e.findtext("m:artifactId", namespaces=_NS) for e in dep.findall("m:exclusions/m:exclusion", _NS)}
        assert excluded == set(kestra._EXCLUDED)


def test_configuration_is_rendered_for_the_node(tmp_path: Path) -> None:
    server = KestraServer(tmp_path, port=18999, worker_threads=3)
    server._configure()
    config = yaml.safe_load((server.node / "application.yml").read_text())
    backend = yaml.safe_load((server.node / "h2.yml").read_text())
    assert config["kestra"]["url"] == "http://127.0.0.1:18999/"
    assert config["kestra"]["storage"]["local"]["base-path"] == str(server.node / "storage")
    assert backend["kestra"]["queue"]["type"] == backend["kestra"]["repository"]["type"] == "h2"
    assert str(server.node / "data") in backend["datasources"]["h2"]["url"]
    assert "KESTRA_" not in (server.node / "application.yml").read_text().replace("env-vars-prefix: KESTRA_", "")
    assert server.worker_threads == 3 and server.url == "http://127.0.0.1:18999"


def test_a_down_node_is_not_ready_and_stopping_it_is_harmless(tmp_path: Path) -> None:
    server = KestraServer(tmp_path, port=18998)
    assert server.running_pid() is None and not server.ready()
    server.down()


def test_unknown_action_is_a_one_line_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setenv("HARRIER_INFRA_HOME", str(tmp_path))
    assert kestra.main(["restart"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "kestra: unknown action 'restart': use up, down or status"


def test_missing_javac_is_named(tmp_path: Path) -> None:
    server = KestraServer(tmp_path)
    with pytest.raises(InfraError, match="has no javac"):
        server._compile(tmp_path / "jre")
