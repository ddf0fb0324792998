"""The local stack as a whole: where it lives, its ports, and up/down/status over Kafka and Elasticsearch."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harrier.infra.elasticsearch import ElasticsearchNode
from harrier.infra.kafka import KafkaCluster

__all__ = ["Stack", "StackStatus"]


@dataclass(frozen=True)
class StackStatus:
    """What `harrier infra status` reports for one service."""

    service: str
    address: str
    running: bool
    ready: bool

    def line(self) -> str:
        state = "ready" if self.ready else ("starting" if self.running else "down")
        return f"{self.service:<14} {self.address:<40} {state}"


class Stack:
    """Kafka and Elasticsearch under one home folder (HARRIER_INFRA_HOME, default /var/tmp/harrier-infra)."""

    def __init__(
        self,
        home: Path | None = None,
        kafka_port: int | None = None,
        es_port: int | None = None,
        brokers: int = 1,
    ) -> None:
        # /var/tmp keeps the downloaded jars across fresh clones and is reachable by the ES user.
        self.home = home or Path(os.environ.get("HARRIER_INFRA_HOME", "/var/tmp/harrier-infra"))
        self.kafka = KafkaCluster(self.home, kafka_port or int(os.environ.get("HARRIER_KAFKA_PORT", 9092)), brokers)
        self.elasticsearch = ElasticsearchNode(self.home, es_port or int(os.environ.get("HARRIER_ES_PORT", 9200)))

    def up(self, kafka: bool = True, elasticsearch: bool = True) -> None:
        """Start what is down and wait until everything is ready; a no-op when all is up."""
        if kafka:
            self.kafka.up()
        if elasticsearch:
            self.elasticsearch.up()

    def down(self) -> None:
        """Stop both services."""
        self.elasticsearch.down()
        self.kafka.down()

    def status(self) -> list[StackStatus]:
        """One line per service."""
        return [
            StackStatus("kafka", self.kafka.bootstrap, bool(self.kafka.running_pids()), self.kafka.ready()),
            StackStatus(
                "elasticsearch", self.elasticsearch.url, bool(self.elasticsearch.running_pid()),
                self.elasticsearch.ready(),
            ),
        ]
