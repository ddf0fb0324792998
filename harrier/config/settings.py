"""The settings model: every key of Harrier's YAML properties, typed and validated.

Keys are kebab-case in YAML (``poll-ms``) and snake_case in Python (``poll_ms``). Every
section forbids unknown keys, so a typo is an error rather than a silently ignored
setting. The defaults here are the documented defaults; ``defaults.yml`` mirrors them and a
unit test keeps the two identical.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from harrier.core.sealing import cipher_for

__all__ = [
    "AuthSettings",
    "ClientProperties",
    "ElasticsearchSettings",
    "EncryptionSettings",
    "ExecutorSettings",
    "IndexerSettings",
    "KafkaSettings",
    "SchedulerSettings",
    "Settings",
    "StorageSettings",
    "TopicOverride",
    "TopicOverrides",
    "TopicsSettings",
    "WebserverSettings",
    "WorkerSettings",
]

MIB = 1024 * 1024

# librdkafka and topic configs take strings, numbers and booleans; they are passed through.
ClientProperties = dict[str, str | int | float | bool]


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class Section(BaseModel):
    """Base of every settings section: kebab-case keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=_kebab,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        frozen=True,
    )


class KafkaSettings(Section):
    """Broker address and librdkafka properties for every client Harrier creates."""

    bootstrap_servers: str = Field("127.0.0.1:9092", min_length=1)
    # Passed to every client (producer, consumer, admin), e.g. security.protocol.
    properties: ClientProperties = Field(default_factory=dict)
    producer: ClientProperties = Field(default_factory=dict)
    consumer: ClientProperties = Field(default_factory=dict)
    admin: ClientProperties = Field(default_factory=dict)


class TopicOverride(Section):
    """Per-topic deviations from the topic spec; unset fields keep the spec's value."""

    partitions: PositiveInt | None = None
    replication_factor: PositiveInt | None = None
    retention_ms: int | None = Field(None, ge=-1)
    max_message_bytes: PositiveInt | None = None
    # Raw Kafka topic configs (e.g. segment.ms), applied last.
    config: ClientProperties = Field(default_factory=dict)


class TopicOverrides(Section):
    """Overrides by logical topic name; a name that is not a Harrier topic is an unknown key."""

    flows: TopicOverride = TopicOverride()
    executions: TopicOverride = TopicOverride()
    executions_by_flow: TopicOverride = TopicOverride()
    worker_results: TopicOverride = TopicOverride()
    execution_states: TopicOverride = TopicOverride()
    worker_tasks: TopicOverride = TopicOverride()
    worker_controls: TopicOverride = TopicOverride()
    logs: TopicOverride = TopicOverride()
    metrics: TopicOverride = TopicOverride()
    triggers: TopicOverride = TopicOverride()
    flow_slots: TopicOverride = TopicOverride()
    kv: TopicOverride = TopicOverride()
    dead_letters: TopicOverride = TopicOverride()

    def for_topic(self, logical_name: str) -> TopicOverride:
        """Return the override of a logical topic name such as ``worker-results``."""
        return getattr(self, logical_name.replace("-", "_"))  # type: ignore[no-any-return]


class TopicsSettings(Section):
    """Topic naming and sizing; per-topic details live in ``harrier.topics.specs``."""

    prefix: str = "harrier."
    partitions: PositiveInt = 8
    replication_factor: PositiveInt = 1
    overrides: TopicOverrides = TopicOverrides()

    @field_validator("overrides")
    @classmethod
    def _co_partitioned(cls, overrides: TopicOverrides, info: ValidationInfo) -> TopicOverrides:
        # The executor joins both topics by partition: a mismatch would route an execution's
        # results to a member that does not own the execution.
        default = info.data.get("partitions")
        if default is None:
            return overrides
        executions = overrides.executions.partitions or default
        results = overrides.worker_results.partitions or default
        if executions != results:
            raise ValueError(
                f"executions has {executions} partitions and worker-results has {results}: "
                "they are co-partitioned and must have the same count"
            )
        return overrides


class ExecutorSettings(Section):
    """The executor's stream runtime."""

    stream_threads: NonNegativeInt = 0
    poll_ms: PositiveInt = 25
    commit_interval_ms: PositiveInt = 25
    processing_guarantee: Literal["exactly_once", "at_least_once"] = "exactly_once"
    # How long a terminal execution stays in the store before it is tombstoned.
    state_tombstone_grace: timedelta = timedelta(hours=1)
    max_snapshot_bytes: PositiveInt = 8 * MIB
    # The probe server (/health, /ready, /metrics; harrier.probes). Loopback by default, as
    # the webserver; each component its own port so one host runs them all; 0 = off.
    probe_host: str = "127.0.0.1"
    probe_port: int = Field(8081, ge=0, le=65535)

    def effective_stream_threads(self) -> int:
        """Number of stream processes to run: ``stream-threads``, or the CPU count when 0."""
        return self.stream_threads or (os.cpu_count() or 1)


class WorkerSettings(Section):
    """The worker's thread pool and asyncio lane."""

    threads: NonNegativeInt = 0
    async_concurrency: PositiveInt = 1024
    # Scripts of a worker running as root run as this user; '' runs them as root.
    script_user: str = "nobody"
    # Probe server address (see executor); 0 = off.
    probe_host: str = "127.0.0.1"
    probe_port: int = Field(8082, ge=0, le=65535)

    def effective_threads(self) -> int:
        """Size of the thread pool: ``threads``, or 8 x the CPU count when 0."""
        return self.threads or 8 * (os.cpu_count() or 1)


class SchedulerSettings(Section):
    """The scheduler's trigger evaluation loop."""

    tick_ms: PositiveInt = 1000
    # Probe server address (see executor); 0 = off.
    probe_host: str = "127.0.0.1"
    probe_port: int = Field(8083, ge=0, le=65535)


class ElasticsearchSettings(Section):
    """Where the searchable history lives."""

    hosts: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:9200"], min_length=1)
    index_prefix: str = "harrier-"


class IndexerSettings(Section):
    """Batching of the Elasticsearch bulk requests."""

    batch_size: PositiveInt = 1000
    batch_bytes: PositiveInt = 5 * MIB
    flush_interval_ms: PositiveInt = 500
    # How soon an indexed log batch is searchable (the log indices' refresh interval).
    logs_refresh_ms: PositiveInt = 250
    # Probe server address (see executor); 0 = off.
    probe_host: str = "127.0.0.1"
    probe_port: int = Field(8084, ge=0, le=65535)


class AuthSettings(Section):
    """Webserver authentication: none, HTTP basic (users) or bearer tokens.

    ``users`` maps a name to an argon2 hash of its password (``harrier auth hash``; plain text
    is still accepted, with a warning at start). A client that fails ``max-failed-logins``
    times within ``failed-login-window-s`` is answered 429 until the window has passed.
    """

    mode: Literal["none", "basic", "bearer"] = "none"
    users: dict[str, str] = Field(default_factory=dict)
    tokens: list[str] = Field(default_factory=list)
    max_failed_logins: int = Field(10, ge=1)
    failed_login_window_s: float = Field(60.0, gt=0)

    @model_validator(mode="after")
    def _credentials_present(self) -> AuthSettings:
        if self.mode == "basic" and not self.users:
            raise ValueError("mode basic needs at least one entry in users")
        if self.mode == "bearer" and not self.tokens:
            raise ValueError("mode bearer needs at least one entry in tokens")
        return self


class WebserverSettings(Section):
    """The REST API and UI server."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    auth: AuthSettings = AuthSettings()
    # Origins whose pages may call the API from a browser (CORS); none by default: the UI is
    # served by the webserver itself, from the same origin.
    cors_origins: list[str] = Field(default_factory=list)
    # Request bodies over these are refused with 413 (harrier/webserver/limits.py).
    max_webhook_bytes: PositiveInt = 1024 * 1024
    max_flow_bytes: PositiveInt = 512 * 1024
    max_request_bytes: PositiveInt = 100 * 1024 * 1024
    # An execution's inputs (files aside, they go to storage) as its create command carries them.
    max_inputs_bytes: PositiveInt = 1024 * 1024


class EncryptionSettings(Section):
    """The key SECRET inputs are sealed with (harrier.core.sealing): base64 of 32 bytes, the
    same on every component; Kestra's ``kestra.encryption.secret-key`` works as it is."""

    secret_key: str | None = Field(None, repr=False)

    @field_validator("secret_key")
    @classmethod
    def _usable(cls, value: str | None) -> str | None:
        if value is not None:
            cipher_for(value)
        return value


class StorageSettings(Section):
    """Local storage for files produced by tasks."""

    base_path: str = "./data/storage"


class Settings(Section):
    """All of Harrier's settings; load them with ``harrier.config.load_settings``."""

    kafka: KafkaSettings = KafkaSettings()
    topics: TopicsSettings = TopicsSettings()
    executor: ExecutorSettings = ExecutorSettings()
    worker: WorkerSettings = WorkerSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    indexer: IndexerSettings = IndexerSettings()
    webserver: WebserverSettings = WebserverSettings()
    storage: StorageSettings = StorageSettings()
    encryption: EncryptionSettings = EncryptionSettings()
