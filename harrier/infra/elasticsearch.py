"""A local single-node Elasticsearch from the integ-test zip on Maven Central, run as its own user."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import urllib.request
import zipfile
from pathlib import Path

from harrier.infra.exceptions import InfraError
from harrier.infra.java import find_newer_java_home
from harrier.infra.maven import copy_artifact
from harrier.infra.processes import port_open, read_pid, stop_pid, wait_until, write_pid

__all__ = ["ES_VERSION", "ES_USER", "ElasticsearchNode"]

# Major must match the pinned `elasticsearch` client (9.x); 9.x needs Java 21+.
ES_VERSION = "9.5.0"
ES_USER = "harrier-es"
_ZIP = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ES_VERSION}:zip"


class ElasticsearchNode:
    """One node on 127.0.0.1:`port` (transport on port + 100), security off, small heap."""

    def __init__(self, home: Path, port: int = 9200, heap: str = "1g") -> None:
        self.root = home / "elasticsearch"
        self.dist = self.root / "dist" / f"elasticsearch-{ES_VERSION}"
        self.node_home = self.root / f"node-{port}"
        self.port = port
        self.heap = heap

    @property
    def url(self) -> str:
        """The HTTP address clients use."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.node_home / "es.pid"

    @property
    def log(self) -> Path:
        return self.node_home / "logs" / "stdout.log"

    def running_pid(self) -> int | None:
        """The node's pid if it is running."""
        return read_pid(self.pid_file)

    def up(self) -> None:
        """Fetch and unpack the distribution once, start the node if down, wait for yellow health."""
        if not self.running_pid():
            if port_open("127.0.0.1", self.port):
                raise InfraError(f"port {self.port} is taken by another process; set HARRIER_ES_PORT")
            java_home = find_newer_java_home(21)
            self._ensure_dist()
            user = self._ensure_user()
            self._configure(user)
            self._start(java_home, user)
        wait_until(self.ready, 180, f"elasticsearch at {self.url}", self.log)

    def down(self) -> None:
        """Stop the node."""
        if pid := self.running_pid():
            stop_pid(pid, timeout=60)
        self.pid_file.unlink(missing_ok=True)

    def ready(self) -> bool:
        """True when cluster health is at least yellow."""
        if not self.running_pid():
            return False
        try:
            with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=2) as resp:
                return json.load(resp)["status"] in ("green", "yellow")
        except (OSError, ValueError, KeyError):
            return False

    def _ensure_dist(self) -> None:
        if (self.dist / "bin" / "elasticsearch").exists():
            return
        archive = copy_artifact(_ZIP, self.root / "download")
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(self.root / "dist")
        # zipfile drops the executable bits the scripts and the JDK launcher need.
        for path in (self.dist / "bin").iterdir():
            path.chmod(0o755)
        archive.unlink()

    def _ensure_user(self) -> str | None:
        """Elasticsearch refuses to run as root, so root runs it as a dedicated system user."""
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(ES_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ES_USER],
                check=True, capture_output=True,
            )
        return ES_USER

    def _configure(self, user: str | None) -> None:
        config = self.node_home / "config"
        if config.exists():
            shutil.rmtree(config)
        shutil.copytree(self.dist / "config", config)
        for sub in ("data", "logs", "tmp"):
            (self.node_home / sub).mkdir(parents=True, exist_ok=True)
        settings = {
            "cluster.name": "harrier-local",
            "node.name": f"harrier-es-{self.port}",
            "network.host": "127.0.0.1",
            "http.port": self.port,
            "transport.port": self.port + 100,
            "discovery.type": "single-node",
            "xpack.security.enabled": "false",
            "path.data": str(self.node_home / "data"),
            "path.logs": str(self.node_home / "logs"),
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            "action.destructive_requires_name": "false",
        }
        (config / "elasticsearch.yml").write_text("".join(f"{k}: {v}\n" for k, v in settings.items()))
        if user:
            # The shared distribution and this node's own folder only: other nodes under the
            # same root (other ports, other sessions) may be running, their files coming and going.
            for path in (self.root, self.dist, *self.dist.rglob("*"), self.node_home, *self.node_home.rglob("*")):
                shutil.chown(path, user, user)
            for parent in self.root.parents:
                if parent == Path("/"):
                    break
                parent.chmod(parent.stat().st_mode | 0o005)

    def _start(self, java_home: str, user: str | None) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ES_JAVA_HOME": java_home,
            "ES_PATH_CONF": str(self.node_home / "config"),
            "ES_JAVA_OPTS": f"-Xms{self.heap} -Xmx{self.heap}",
            "ES_TMPDIR": str(self.node_home / "tmp"),
            "HOME": str(self.node_home),
        }
        out = open(self.log, "ab")  # noqa: SIM115 - the child owns it
        proc = subprocess.Popen(
            [str(self.dist / "bin" / "elasticsearch")],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, user=user, group=user,
        )
        write_pid(self.pid_file, proc.pid)
