"""The Kubernetes manifests: valid against Kubernetes' own schemas (kubernetes-validate, offline),
and consistent with Harrier: one Deployment per component, its probes on the ports its config
gives, the storage volume where the config's storage.base-path is, the image's user."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from harrier.config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes" / "harrier.yml"
COMPONENTS = ["executor", "worker", "scheduler", "indexer", "webserver"]


@pytest.fixture(scope="module")
def resources() -> list[dict]:
    return [doc for doc in yaml.safe_load_all(MANIFESTS.read_text()) if doc]


def test_every_resource_is_valid_for_kubernetes(resources: list[dict]) -> None:
    for resource in resources:
        # Raises ValidationError naming the field, with unknown properties refused.
        kubernetes_validate.validate(resource, "1.37.0", strict=True)
    kinds = sorted(f"{r['kind']}/{r['metadata']['name']}" for r in resources)
    assert kinds == sorted(["ConfigMap/harrier-config", "PersistentVolumeClaim/harrier-storage",
                            "Service/harrier-webserver", *(f"Deployment/harrier-{c}" for c in COMPONENTS)])


def _deployment(resources: list[dict], component: str) -> dict:
    return next(r for r in resources if r["kind"] == "Deployment" and r["metadata"]["name"] == f"harrier-{component}")


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_component_runs_from_the_config_map_with_probes_on_its_ports(resources: list[dict], component: str) -> None:
    config = next(r for r in resources if r["kind"] == "ConfigMap")
    settings = Settings.model_validate(yaml.safe_load(config["data"]["harrier.yml"]))
    pod = _deployment(resources, component)["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"] == ["server", component, "--config", "/etc/harrier/harrier.yml"]
    section = getattr(settings, component)
    port = section.port if component == "webserver" else section.probe_port
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": port}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": port}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["config"] == "/etc/harrier"
    if component != "scheduler" and component != "indexer":
        assert mounts["storage"] == settings.storage.base_path
    key = next(e for e in container["env"] if e["name"] == "HARRIER__ENCRYPTION__SECRET_KEY")
    assert key["valueFrom"]["secretKeyRef"]["name"] == "harrier-encryption"
    # The image's numeric user, so runAsNonRoot can be checked.
    assert f"USER {pod['securityContext']['runAsUser']}" in (ROOT / "Dockerfile").read_text()


def test_the_executor_and_the_worker_scale_as_deployments(resources: list[dict]) -> None:
    assert _deployment(resources, "worker")["spec"]["replicas"] >= 2
    storage = next(r for r in resources if r["kind"] == "PersistentVolumeClaim")
    assert storage["spec"]["accessModes"] == ["ReadWriteMany"]  # several pods share the files
