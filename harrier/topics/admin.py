"""Topic admin: create missing topics, report drift, never destroy data.

``ensure_topics`` is idempotent: a second run creates nothing and reports every topic as
unchanged. A topic that exists but differs from its spec (partition count, replication
factor, a topic config) is reported as drift and left alone; the only change it makes to an
existing topic is adding partitions, and only when asked (``increase_partitions=True``).

Adding partitions moves keys to other partitions. For the co-partitioned pair (executions,
worker-results) both grow in the same request, but in-flight executions may still be routed
to a new owner: grow them only when the executor is drained.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

from harrier.topics.exceptions import TopicAdminError
from harrier.topics.specs import TopicSpec

__all__ = ["Drift", "TopicReport", "ensure_topics"]

logger = logging.getLogger("harrier.topics")


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between an existing topic and its spec."""

    topic: str
    setting: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.topic}: {self.setting} is {self.actual}, spec says {self.expected}"


@dataclass(slots=True)
class TopicReport:
    """What ``ensure_topics`` found and did."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    increased: list[str] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when topics were created or grown."""
        return bool(self.created or self.increased)

    def lines(self) -> list[str]:
        """The report for people, one line per fact."""
        lines = [f"created {name}" for name in self.created]
        lines += [f"added partitions to {name}" for name in self.increased]
        lines += [f"drift {item}" for item in self.drift]
        lines.append(
            f"{len(self.created)} created, {len(self.increased)} grown, "
            f"{len(self.drift)} drifted, {len(self.unchanged)} unchanged"
        )
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def ensure_topics(
    admin: AdminClient,
    specs: Iterable[TopicSpec],
    *,
    increase_partitions: bool = False,
    timeout_s: float = 30.0,
) -> TopicReport:
    """Create the missing topics of ``specs`` and compare the existing ones to their spec."""
    wanted = {spec.name: spec for spec in specs}
    report = TopicReport()
    existing = _partition_layout(admin, timeout_s)
    to_create = [spec for name, spec in wanted.items() if name not in existing]
    report.created = _create(admin, to_create, timeout_s)
    already = [name for name in wanted if name not in report.created]
    if to_create:
        # Includes topics another process created since the listing: compare those too.
        _wait_for_leaders(admin, [spec.name for spec in to_create], timeout_s)
        existing = _partition_layout(admin, timeout_s)

    grow: list[TopicSpec] = []
    configs = _describe_configs(admin, already, timeout_s)
    for name in already:
        spec = wanted[name]
        drift = _compare(spec, existing[name], configs[name])
        partition_drift = [item for item in drift if item.setting == "partitions"]
        if partition_drift and increase_partitions and existing[name][0] < spec.partitions:
            grow.append(spec)
            drift = [item for item in drift if item.setting != "partitions"]
        report.drift += drift
        if not drift and spec not in grow:
            report.unchanged.append(name)
    report.increased = _grow(admin, grow, timeout_s)
    for line in report.lines():
        level = logging.WARNING if line.startswith("drift") else logging.INFO
        logger.log(level, "topics: %s", line)
    return report


def _partition_layout(admin: AdminClient, timeout_s: float) -> dict[str, tuple[int, int]]:
    """(partition count, replication factor) of every topic on the cluster."""
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise TopicAdminError(f"cannot list topics: {exc.args[0]}") from exc
    layout = {}
    for name, topic in metadata.topics.items():
        if topic.error is not None:
            continue
        replicas = min((len(p.replicas) for p in topic.partitions.values()), default=0)
        layout[name] = (len(topic.partitions), replicas)
    return layout


def _create(admin: AdminClient, specs: list[TopicSpec], timeout_s: float) -> list[str]:
    if not specs:
        return []
    new_topics = [
        NewTopic(
            spec.name,
            num_partitions=spec.partitions,
            replication_factor=spec.replication_factor,
            config=spec.config(),
        )
        for spec in specs
    ]
    futures = admin.create_topics(
        new_topics, operation_timeout=timeout_s, request_timeout=timeout_s
    )
    created = []
    for name, future in futures.items():
        try:
            future.result()
            created.append(name)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            # Another process created it between our listing and our request: verify it.
            if error.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicAdminError(f"cannot create {name}: {error.str()}") from exc
    return created


def _wait_for_leaders(admin: AdminClient, names: list[str], timeout_s: float) -> None:
    # A created topic is usable once every partition has a leader; producing earlier gets
    # UNKNOWN_TOPIC_OR_PART.
    deadline = time.monotonic() + timeout_s
    while True:
        metadata = admin.list_topics(timeout=timeout_s)
        ready = all(
            name in metadata.topics
            and metadata.topics[name].error is None
            and all(p.leader >= 0 for p in metadata.topics[name].partitions.values())
            for name in names
        )
        if ready:
            return
        if time.monotonic() > deadline:
            raise TopicAdminError(f"created topics have no leader after {timeout_s}s: {names}")
        time.sleep(0.05)


def _describe_configs(
    admin: AdminClient, names: list[str], timeout_s: float
) -> dict[str, dict[str, str | None]]:
    if not names:
        return {}
    resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in names]
    futures = admin.describe_configs(resources, request_timeout=timeout_s)
    configs = {}
    for resource, future in futures.items():
        try:
            entries = future.result()
        except KafkaException as exc:
            raise TopicAdminError(f"cannot describe {resource.name}: {exc.args[0]}") from exc
        configs[resource.name] = {key: entry.value for key, entry in entries.items()}
    return configs


def _compare(
    spec: TopicSpec, layout: tuple[int, int], config: dict[str, str | None]
) -> list[Drift]:
    partitions, replication = layout
    drift = []
    if partitions != spec.partitions:
        drift.append(Drift(spec.name, "partitions", str(spec.partitions), str(partitions)))
    if replication != spec.replication_factor:
        drift.append(
            Drift(spec.name, "replication-factor", str(spec.replication_factor), str(replication))
        )
    for key, expected in spec.config().items():
        actual = config.get(key)
        if actual != expected:
            drift.append(Drift(spec.name, key, expected, str(actual)))
    return drift


def _grow(admin: AdminClient, specs: list[TopicSpec], timeout_s: float) -> list[str]:
    if not specs:
        return []
    requests = [NewPartitions(spec.name, spec.partitions) for spec in specs]
    futures = admin.create_partitions(
        requests, operation_timeout=timeout_s, request_timeout=timeout_s
    )
    grown = []
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            raise TopicAdminError(f"cannot add partitions to {name}: {exc.args[0]}") from exc
        grown.append(name)
    return grown
