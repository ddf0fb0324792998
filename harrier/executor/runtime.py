"""What a stream process needs to know: settings, names and client properties.

Client properties are layered as in ``harrier.topics.clients``; the runtime adds its own
defaults below the user's ``kafka.consumer`` / ``kafka.producer`` properties, and forces the
few properties correctness depends on (range assignor, manual commits, read_committed).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from harrier.config.settings import Settings
from harrier.topics.specs import topic_name

__all__ = ["RuntimeConfig"]

# Defaults the user's kafka.* properties may override.
CONSUMER_DEFAULTS: dict[str, Any] = {
    # A killed process's partitions move after 10 s rather than the client default of 45 s.
    "session.timeout.ms": 10_000,
    "heartbeat.interval.ms": 2_000,
}
PRODUCER_DEFAULTS: dict[str, Any] = {
    # A transaction begun right after a commit meets CONCURRENT_TRANSACTIONS while the
    # coordinator still writes the markers; librdkafka retries after retry.backoff.ms
    # (100 ms, growing to 1 s, by default), which holds the next commit that long. A flat
    # 20 ms is what the Java producer uses for this case (KAFKA-5477). Measured with
    # transactions every 25 ms (benchmarks/runtime_bench.py): send_offsets p99 97-109 ms
    # with the default, 26-27 ms with 20/20; 5 ms gains nothing more and retries 4x as often.
    "retry.backoff.ms": 20,
    "retry.backoff.max.ms": 20,
}
# Properties co-partitioning and exactly-once depend on: not overridable.
CONSUMER_FORCED: dict[str, Any] = {
    "partition.assignment.strategy": "range",
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "isolation.level": "read_committed",
}


@dataclass(frozen=True)
class RuntimeConfig:
    """Settings plus the identity of the stream processes of one executor instance.

    ``instance_id`` must be stable across restarts of an instance and unique among the
    instances sharing a group: with the process index it forms the ``transactional.id``,
    so a restarted process fences (and aborts the open transaction of) its predecessor.
    """

    settings: Settings
    application_id: str = "executor"
    instance_id: str = field(default_factory=socket.gethostname)
    inputs: tuple[str, ...] = ("executions", "worker-results")
    changelog: str = "execution-states"
    dead_letters: str = "dead-letters"

    @property
    def group_id(self) -> str:
        """The consumer group of every stream process of every instance."""
        return self.settings.topics.prefix + self.application_id

    @property
    def exactly_once(self) -> bool:
        """True for ``processing-guarantee: exactly_once``."""
        return self.settings.executor.processing_guarantee == "exactly_once"

    def topic(self, logical_name: str) -> str:
        """The physical name of a logical topic."""
        return topic_name(self.settings, logical_name)

    def input_topics(self) -> dict[str, str]:
        """Physical input topic -> logical name."""
        return {self.topic(name): name for name in self.inputs}

    def client_id(self, index: int) -> str:
        """client.id of stream process ``index`` (shows in broker logs and metrics)."""
        return f"{self.group_id}-{self.instance_id}-{index}"

    def transactional_id(self, index: int) -> str:
        """transactional.id of stream process ``index``: stable across its restarts."""
        return f"{self.group_id}-{self.instance_id}-{index}"

    def consumer_overrides(self) -> dict[str, Any]:
        """Properties for the group consumer on top of the user's."""
        return {**self._unset(CONSUMER_DEFAULTS, self.settings.kafka.consumer), **CONSUMER_FORCED}

    def producer_overrides(self) -> dict[str, Any]:
        """Properties for the (transactional) producer on top of the user's."""
        return self._unset(PRODUCER_DEFAULTS, self.settings.kafka.producer)

    def _unset(self, defaults: dict[str, Any], specific: dict[str, Any]) -> dict[str, Any]:
        common = self.settings.kafka.properties
        return {k: v for k, v in defaults.items() if k not in specific and k not in common}
