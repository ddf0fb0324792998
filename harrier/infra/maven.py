"""Resolving artifacts from Maven Central into a local folder with the machine's Maven."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from harrier.infra.exceptions import InfraError
from harrier.infra.java import find_maven

__all__ = ["copy_jars", "copy_artifact"]

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.harrier</groupId>
  <artifactId>harrier-infra-{name}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""

_DEPENDENCY = """    <dependency>
      <groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version>
    </dependency>"""


def _run(args: list[str], cwd: Path, what: str) -> None:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        errors = [line for line in proc.stdout.splitlines() if "[ERROR]" in line]
        reason = errors[0].replace("[ERROR]", "").strip() if errors else f"exit {proc.returncode}"
        raise InfraError(f"maven could not resolve {what}: {reason[:300]}")


def copy_jars(name: str, coordinates: list[str], dest: Path) -> None:
    """Resolve `group:artifact:version` coordinates with their runtime dependencies into `dest`."""
    dependencies = "\n".join(
        _DEPENDENCY.format(group=g, artifact=a, version=v) for g, a, v in (c.split(":") for c in coordinates)
    )
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harrier-mvn-") as tmp:
        Path(tmp, "pom.xml").write_text(_POM.format(name=name, dependencies=dependencies))
        _run(
            [find_maven(), "-B", "-q", "dependency:copy-dependencies", "-DincludeScope=runtime",
             f"-DoutputDirectory={dest}"],
            Path(tmp),
            ", ".join(coordinates),
        )


def copy_artifact(coordinate: str, dest: Path) -> Path:
    """Resolve one artifact (`group:artifact:version:type`) into `dest` and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harrier-mvn-") as tmp:
        _run(
            [find_maven(), "-B", "-q", "dependency:copy", f"-Dartifact={coordinate}",
             f"-DoutputDirectory={dest}", "-Dmdep.overWriteIfNewer=true"],
            Path(tmp),
            coordinate,
        )
    group, artifact, version, kind = coordinate.split(":")
    return dest / f"{artifact}-{version}.{kind}"
