"""Topic specs: what every Harrier topic looks like, resolved from the settings.

The table below is the architecture page's topic list made concrete. ``build_specs`` applies
the settings (prefix, default partitions and replication, per-topic overrides) and returns
the specs the admin creates and verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harrier.config.settings import Settings

__all__ = [
    "CO_PARTITIONED",
    "LOGICAL_TOPICS",
    "TopicSpec",
    "build_specs",
    "largest_message_bytes",
    "topic_name",
]

KIB = 1024
MIB = 1024 * KIB
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

# Room for the envelope, headers and batch framing around the largest snapshot.
SNAPSHOT_SLACK_BYTES = 64 * KIB

CleanupPolicy = Literal["delete", "compact"]


@dataclass(frozen=True, slots=True)
class _Template:
    cleanup: CleanupPolicy
    retention_ms: int | None
    max_message_bytes: int
    partitions: int | None = None
    extra: tuple[tuple[str, str], ...] = ()


# Compacted topics roll segments hourly so compaction (and tombstone removal) runs well before
# the broker's week-long default; restore cost then follows the live key count.
_COMPACTED = (("segment.ms", str(HOUR_MS)), ("min.cleanable.dirty.ratio", "0.25"))

# How long a tombstone on ``flows`` is kept after compaction reached it; the scheduler trusts
# a checkpoint on ``flows`` only within half of it (scheduler/runtime.py).
FLOWS_DELETE_RETENTION_MS = DAY_MS

_TEMPLATES: dict[str, _Template] = {
    "flows": _Template("compact", None, 2 * MIB, extra=(*_COMPACTED, ("delete.retention.ms", str(FLOWS_DELETE_RETENTION_MS)))),
    "executions": _Template("delete", DAY_MS, 4 * MIB),
    "executions-by-flow": _Template("delete", DAY_MS, 4 * MIB),
    "worker-results": _Template("delete", DAY_MS, 4 * MIB),
    # max_message_bytes of execution-states follows executor.max-snapshot-bytes.
    "execution-states": _Template("compact", None, 0, extra=_COMPACTED),
    "worker-tasks": _Template("delete", 7 * DAY_MS, 4 * MIB),
    # Every worker reads all partitions of worker-controls, so one is enough.
    "worker-controls": _Template("delete", DAY_MS, 1 * MIB, partitions=1),
    "logs": _Template("delete", 7 * DAY_MS, 1 * MIB),
    "metrics": _Template("delete", 7 * DAY_MS, 1 * MIB),
    "triggers": _Template("compact", None, 1 * MIB, extra=_COMPACTED),
    # Changelog of the concurrency-limit owner's store (running executions per limited flow);
    # partitioned like executions-by-flow, its input.
    "flow-slots": _Template("compact", None, 1 * MIB, extra=_COMPACTED),
    # The KV store (harrier/kv): entries keyed namespace/key, a tombstone deletes one. Every
    # reader holds all of it, so one partition: a read barrier then asks for one watermark.
    "kv": _Template("compact", None, 1 * MIB, partitions=1, extra=_COMPACTED),
    # Must hold any record of any other topic plus its error headers.
    "dead-letters": _Template("delete", 14 * DAY_MS, 0),
}

LOGICAL_TOPICS: tuple[str, ...] = tuple(_TEMPLATES)

# Topics joined by partition in the executor: their partition counts must be equal.
CO_PARTITIONED: tuple[str, ...] = ("executions", "worker-results")

# lz4 on the topic and in the producers (clients.py): the broker stores the producer's
# batches as they are, and data written by other clients is compressed too.
COMPRESSION = "lz4"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic as Harrier wants it."""

    logical_name: str
    name: str
    partitions: int
    replication_factor: int
    cleanup_policy: CleanupPolicy
    retention_ms: int | None
    max_message_bytes: int
    compression: str
    extra_config: tuple[tuple[str, str], ...] = ()

    def config(self) -> dict[str, str]:
        """The topic-level Kafka configs to create the topic with (all values strings)."""
        config = {
            "cleanup.policy": self.cleanup_policy,
            "max.message.bytes": str(self.max_message_bytes),
            "compression.type": self.compression,
        }
        if self.retention_ms is not None:
            config["retention.ms"] = str(self.retention_ms)
        config.update(self.extra_config)
        return config


def topic_name(settings: Settings, logical_name: str) -> str:
    """The full topic name of a logical topic, e.g. ``harrier.executions``."""
    if logical_name not in _TEMPLATES:
        raise KeyError(f"unknown topic {logical_name!r}; known: {', '.join(LOGICAL_TOPICS)}")
    return settings.topics.prefix + logical_name


def build_specs(settings: Settings) -> dict[str, TopicSpec]:
    """All topic specs by logical name, with the settings' overrides applied."""
    specs = {
        logical_name: _resolve(settings, logical_name, template)
        for logical_name, template in _TEMPLATES.items()
        if logical_name != "dead-letters"
    }
    # A dead letter carries the failed record whole, so it must fit the largest topic's.
    largest = max(spec.max_message_bytes for spec in specs.values())
    specs["dead-letters"] = _resolve(
        settings, "dead-letters", _TEMPLATES["dead-letters"], largest + SNAPSHOT_SLACK_BYTES
    )
    return specs


def largest_message_bytes(specs: dict[str, TopicSpec]) -> int:
    """The largest ``max.message.bytes`` of the specs: the producers' size limit."""
    return max(spec.max_message_bytes for spec in specs.values())


def _resolve(
    settings: Settings, logical_name: str, template: _Template, derived_max_bytes: int = 0
) -> TopicSpec:
    override = settings.topics.overrides.for_topic(logical_name)
    snapshot_max = settings.executor.max_snapshot_bytes + SNAPSHOT_SLACK_BYTES
    max_bytes = template.max_message_bytes or derived_max_bytes or snapshot_max
    extra = dict(template.extra)
    extra.update({key: _config_value(value) for key, value in override.config.items()})
    retention = template.retention_ms if override.retention_ms is None else override.retention_ms
    return TopicSpec(
        logical_name=logical_name,
        name=settings.topics.prefix + logical_name,
        partitions=override.partitions or template.partitions or settings.topics.partitions,
        replication_factor=override.replication_factor or settings.topics.replication_factor,
        cleanup_policy=template.cleanup,
        retention_ms=retention,
        max_message_bytes=override.max_message_bytes or max_bytes,
        compression=COMPRESSION,
        extra_config=tuple(sorted(extra.items())),
    )


def _config_value(value: str | int | float | bool) -> str:
    # Kafka spells booleans in lower case; str(True) would be "True".
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
