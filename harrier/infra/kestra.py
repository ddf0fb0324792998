"""Kestra OSS 1.0.x beside Harrier, for the benchmarks: from Maven Central jars, H2, no Docker.

Maven Central has Kestra's core, executor, worker, scheduler and JDBC modules but neither its
`cli` module (`kestra server standalone`) nor its `webserver` (REST API), nor the kafka and
jsonata plugins. So the node runs `benchmarks/kestra/launcher/KestraBeside.java`, which starts
Kestra's own executor, worker, scheduler and indexer beans and answers the handful of REST
calls the harness makes (see that file). The platform BOM pins every library to the versions
Kestra was built with. The backend is H2 in a local file (Kestra's `server local`): its
Postgres module (`io.kestra:jdbc-postgres`) is not on Maven Central either.

Usage: python -m harrier.infra.kestra up|down|status   (HARRIER_KESTRA_PORT, default 18080)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from harrier.infra.exceptions import InfraError
from harrier.infra.java import find_maven, find_newer_java_home
from harrier.infra.processes import port_open, read_pid, stop_pid, wait_until, write_pid

__all__ = ["KESTRA_VERSION", "KestraServer", "main"]

KESTRA_VERSION = "1.0.20"
_MODULES = ("core", "script", "repository-memory", "runner-memory", "jdbc", "jdbc-h2", "storage-local",
            "executor", "scheduler", "worker")
# Annotation processors leak into the runtime scope of Kestra's poms and are not all published.
_EXCLUDED = ("micronaut-core-processor", "micronaut-inject-java")
_SOURCES = Path(__file__).resolve().parents[2] / "benchmarks" / "kestra"
_CONFIG_FILES = ("application.yml", "h2.yml")
_MAIN = "KestraBeside"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.harrier</groupId><artifactId>kestra-beside</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement><dependencies>
    <dependency><groupId>io.kestra</groupId><artifactId>platform</artifactId><version>{version}</version>
      <type>pom</type><scope>import</scope></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""


def _pom(version: str) -> str:
    exclusions = "".join(
        f"<exclusion><groupId>io.micronaut</groupId><artifactId>{a}</artifactId></exclusion>" for a in _EXCLUDED)
    dependencies = "\n".join(
        f"    <dependency><groupId>io.kestra</groupId><artifactId>{m}</artifactId><version>{version}</version>"
        f"<exclusions>{exclusions}</exclusions></dependency>" for m in _MODULES)
    return _POM.format(version=version, dependencies=dependencies)


class KestraServer:
    """One Kestra node on 127.0.0.1:`port`, its jars, H2 database and logs under `home`/kestra."""

    def __init__(self, home: Path, port: int = 18080, heap: str = "1g", worker_threads: int = 0) -> None:
        self.root = home / "kestra"
        self.libs = self.root / "libs" / KESTRA_VERSION
        self.classes = self.root / "classes"
        self.node = self.root / f"node-{port}"
        self.port = port
        self.heap = heap
        # Kestra's own default: 8 worker threads per core.
        self.worker_threads = worker_threads or 8 * (os.cpu_count() or 1)

    @classmethod
    def from_env(cls) -> KestraServer:
        """HARRIER_INFRA_HOME (default /var/tmp/harrier-infra) and HARRIER_KESTRA_PORT (default 18080)."""
        home = Path(os.environ.get("HARRIER_INFRA_HOME", "/var/tmp/harrier-infra"))
        return cls(home, int(os.environ.get("HARRIER_KESTRA_PORT", "18080")))

    @property
    def url(self) -> str:
        """Base URL of the REST calls."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.node / "kestra.pid"

    @property
    def log(self) -> Path:
        return self.node / "logs" / "kestra.log"

    def running_pid(self) -> int | None:
        """The node's pid if it runs."""
        return read_pid(self.pid_file)

    def up(self, timeout: float = 240, fresh: bool = False) -> None:
        """Resolve the jars once, compile the launcher, start the node if down, wait for /ping.

        `fresh` empties the H2 database and storage first: Kestra's JDBC queue keeps every
        message for days, and a table grown by earlier runs slows every poll of the next one.
        """
        if not self.running_pid():
            if fresh:
                for folder in ("data", "storage", "tmp"):
                    shutil.rmtree(self.node / folder, ignore_errors=True)
            if port_open("127.0.0.1", self.port):
                raise InfraError(f"port {self.port} is taken by another process; set HARRIER_KESTRA_PORT")
            java_home = Path(find_newer_java_home(21))
            self._ensure_jars()
            self._compile(java_home)
            self._configure()
            self._start(java_home)
        wait_until(self.ready, timeout, f"kestra at {self.url}", self.log)

    def down(self) -> None:
        """Stop the node (its H2 file stays for the next start)."""
        if pid := self.running_pid():
            stop_pid(pid, timeout=30)
        self.pid_file.unlink(missing_ok=True)

    def ready(self) -> bool:
        """True when the node answers /ping."""
        if not self.running_pid():
            return False
        try:
            with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def _ensure_jars(self) -> None:
        marker = self.libs / ".complete"
        if marker.exists() and marker.read_text() == ",".join(_MODULES):
            return
        self.libs.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="harrier-kestra-") as tmp:
            Path(tmp, "pom.xml").write_text(_pom(KESTRA_VERSION))
            proc = subprocess.run(
                [find_maven(), "-B", "-q", "dependency:copy-dependencies", "-DincludeScope=runtime",
                 f"-DoutputDirectory={self.libs}"], cwd=tmp, capture_output=True, text=True)
        if proc.returncode != 0:
            errors = [line for line in proc.stdout.splitlines() if "[ERROR]" in line]
            reason = errors[0].replace("[ERROR]", "").strip() if errors else f"exit {proc.returncode}"
            raise InfraError(f"maven could not resolve Kestra {KESTRA_VERSION}: {reason[:300]}")
        marker.write_text(",".join(_MODULES))

    def _compile(self, java_home: Path) -> None:
        source = _SOURCES / "launcher" / f"{_MAIN}.java"
        target = self.classes / f"{_MAIN}.class"
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            return
        javac = java_home / "bin" / "javac"
        if not javac.exists():
            raise InfraError(f"{java_home} has no javac: a JDK (not a JRE) >= 21 is needed to build the launcher")
        proc = subprocess.run([str(javac), "--release", "21", "-proc:none", "-cp", f"{self.libs}/*",
                               "-d", str(self.classes), str(source)], capture_output=True, text=True)
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            raise InfraError(f"could not compile {source.name}: {lines[0] if lines else proc.returncode}")

    def _configure(self) -> None:
        for folder in ("logs", "data", "storage", "tmp"):
            (self.node / folder).mkdir(parents=True, exist_ok=True)
        for name in _CONFIG_FILES:
            text = (_SOURCES / name).read_text()
            (self.node / name).write_text(text.replace("KESTRA_HOME", str(self.node)).replace("KESTRA_PORT", str(self.port)))

    def _start(self, java_home: Path) -> None:
        out = open(self.node / "logs" / "stdout.log", "ab")  # noqa: SIM115 - the child owns it
        proc = subprocess.Popen(
            [str(java_home / "bin" / "java"), f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC",
             f"-Dmicronaut.config.files={','.join(str(self.node / name) for name in _CONFIG_FILES)}",
             f"-Dlogback.configurationFile={_SOURCES / 'logback.xml'}",
             "-cp", f"{self.libs}/*:{self.classes}", _MAIN, str(self.port), str(self.worker_threads)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            cwd=self.node, env={**os.environ, "KESTRA_LOG": str(self.log)},
        )
        write_pid(self.pid_file, proc.pid)


def main(argv: list[str] | None = None) -> int:
    """`up`, `down` or `status`; errors are one line on stderr, exit 1."""
    action = (argv if argv is not None else sys.argv[1:] or ["status"])[0]
    server = KestraServer.from_env()
    try:
        if action == "up":
            server.up()
        elif action == "down":
            server.down()
        elif action != "status":
            raise InfraError(f"unknown action {action!r}: use up, down or status")
    except InfraError as exc:
        print(f"kestra: {exc}", file=sys.stderr)
        return 1
    state = "ready" if server.ready() else ("starting" if server.running_pid() else "down")
    print(f"{'kestra':<14} {server.url:<40} {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
