"""A local Apache Kafka cluster in KRaft mode (1 or 3 combined broker+controller nodes) from Maven jars."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harrier.infra.exceptions import InfraError
from harrier.infra.java import find_java
from harrier.infra.maven import copy_jars
from harrier.infra.processes import is_alive, port_open, read_pid, stop_pid, wait_until, write_pid

__all__ = ["KAFKA_VERSION", "KafkaCluster"]

# 3.9 is the last line that still speaks the old protocol versions aiokafka (faust) uses.
KAFKA_VERSION = "3.9.1"
_JARS = [f"org.apache.kafka:kafka_2.13:{KAFKA_VERSION}", "org.slf4j:slf4j-reload4j:1.7.36"]

_LOG4J = """log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File={logs}/server.log
log4j.appender.file.MaxFileSize=50MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.coordinator=WARN
log4j.logger.org.apache.kafka.coordinator=WARN
log4j.logger.kafka.log=WARN
log4j.logger.org.apache.kafka.storage=WARN
"""


@dataclass(frozen=True)
class _Node:
    node_id: int
    port: int
    controller_port: int
    home: Path

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def log(self) -> Path:
        return self.home / "logs" / "server.log"


class KafkaCluster:
    """Node i listens on base_port + 2*i (clients) and base_port + 2*i + 1 (controller)."""

    def __init__(
        self, home: Path, base_port: int = 9092, brokers: int = 1, heap: str = "768m",
        java_options: Sequence[str] = (),
    ) -> None:
        if brokers not in (1, 3):
            raise InfraError(f"--brokers must be 1 or 3, got {brokers}")
        self.home = home / "kafka"
        self.libs = self.home / "libs" / KAFKA_VERSION
        self.brokers = brokers
        self.heap = heap
        # Extra JVM options of every node (e.g. a throwaway cluster trading peak speed for start-up).
        self.java_options = tuple(java_options)
        self.cluster_dir = self.home / f"cluster-{base_port}-x{brokers}"
        self.nodes = [
            _Node(i + 1, base_port + 2 * i, base_port + 2 * i + 1, self.cluster_dir / f"node-{i + 1}")
            for i in range(brokers)
        ]

    @property
    def bootstrap(self) -> str:
        """The bootstrap.servers string for clients."""
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def running_pids(self) -> list[int]:
        """Pids of this cluster's live nodes."""
        return [pid for n in self.nodes if (pid := read_pid(n.pid_file))]

    def up(self) -> None:
        """Fetch jars, format storage on first start, start every node that is down, wait until ready."""
        java = find_java(17)
        self._ensure_jars()
        for node in self.nodes:
            if read_pid(node.pid_file):
                continue
            for port in (node.port, node.controller_port):
                if port_open("127.0.0.1", port):
                    raise InfraError(f"port {port} is taken by another process; set HARRIER_KAFKA_PORT")
            self._configure(node)
            self._format(java, node)
            self._start(java, node)
        wait_until(self.ready, 120, f"kafka at {self.bootstrap}", self.nodes[0].log)

    def down(self) -> None:
        """Stop every node of this cluster."""
        for node in self.nodes:
            if pid := read_pid(node.pid_file):
                stop_pid(pid)
            node.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL every node (a throwaway cluster needs no graceful stop)."""
        for node in self.nodes:
            self.kill_node(node.node_id)

    def kill_node(self, node_id: int) -> None:
        """SIGKILL one node (for fault tests); `up()` starts it again."""
        node = self.nodes[node_id - 1]
        if pid := read_pid(node.pid_file):
            os.killpg(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while is_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)  # its ports are free once it is gone
        node.pid_file.unlink(missing_ok=True)

    def ready(self) -> bool:
        """True when every node answers metadata requests."""
        if not all(read_pid(n.pid_file) and port_open("127.0.0.1", n.port) for n in self.nodes):
            return False
        from confluent_kafka.admin import AdminClient

        try:
            meta = AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(timeout=2)
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            return False
        return len(meta.brokers) == self.brokers

    def _ensure_jars(self) -> None:
        marker = self.libs / ".complete"
        if not marker.exists():
            copy_jars("kafka", _JARS, self.libs)
            marker.touch()

    def _configure(self, node: _Node) -> None:
        (node.home / "logs").mkdir(parents=True, exist_ok=True)
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        replication = min(3, self.brokers)
        props = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.quorum.voters": voters,
            "log.dirs": node.home / "data",
            "num.partitions": 1,
            "default.replication.factor": replication,
            "min.insync.replicas": 1 if replication == 1 else 2,
            "offsets.topic.replication.factor": replication,
            "offsets.topic.num.partitions": 10,
            "transaction.state.log.replication.factor": replication,
            "transaction.state.log.min.isr": 1 if replication == 1 else 2,
            "transaction.state.log.num.partitions": 10,
            "group.initial.rebalance.delay.ms": 0,
            "auto.create.topics.enable": "false",
            "log.segment.bytes": 64 * 1024 * 1024,
        }
        if self.brokers > 1:
            # KRaft's defaults (a follower that hears nothing from the leader for 2 s stands for
            # election, which lasts 1 s) assume a quiet machine. On two busy cores the JVMs
            # stall longer than that: the two survivors of a killed node kept electing (epoch 6
            # to 10 while it was down), and the node brought back spent its start standing for
            # elections that timed out, 71 s from start to serving. The cost: a killed leader
            # of the quorum is replaced after 10 s instead of 2.
            props |= {"controller.quorum.fetch.timeout.ms": 10_000, "controller.quorum.election.timeout.ms": 5_000}
        text = "".join(f"{k}={v}\n" for k, v in props.items())
        (node.home / "server.properties").write_text(text)
        (node.home / "log4j.properties").write_text(_LOG4J.format(logs=node.home / "logs"))

    def _cluster_id(self) -> str:
        id_file = self.cluster_dir / "cluster.id"
        if not id_file.exists():
            id_file.parent.mkdir(parents=True, exist_ok=True)
            raw = uuid.uuid4().bytes
            id_file.write_text(base64.urlsafe_b64encode(raw).decode().rstrip("="))
        return id_file.read_text().strip()

    def _java_cmd(self, java: str, node: _Node) -> list[str]:
        return [
            java, f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC", *self.java_options,
            f"-Dlog4j.configuration=file:{node.home / 'log4j.properties'}",
            "-cp", f"{self.libs}/*",
        ]

    def _format(self, java: str, node: _Node) -> None:
        if (node.home / "data" / "meta.properties").exists():
            return
        proc = subprocess.run(
            [*self._java_cmd(java, node), "kafka.tools.StorageTool", "format", "--ignore-formatted",
             "-t", self._cluster_id(), "-c", str(node.home / "server.properties")],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            reason = (proc.stderr or proc.stdout).strip().splitlines()
            raise InfraError(f"kafka storage format failed: {reason[-1] if reason else proc.returncode}")

    def _start(self, java: str, node: _Node) -> None:
        out = open(node.home / "logs" / "stdout.log", "ab")  # noqa: SIM115 - the child owns it
        proc = subprocess.Popen(
            [*self._java_cmd(java, node), "kafka.Kafka", str(node.home / "server.properties")],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        write_pid(node.pid_file, proc.pid)
