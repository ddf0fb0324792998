"""Harrier's settings: the typed model, the YAML defaults and the layered loader."""

from __future__ import annotations

from harrier.config.exceptions import ConfigError
from harrier.config.loader import (
    DEFAULTS_FILE,
    ENV_PREFIX,
    load_settings,
    load_settings_or_exit,
    render_settings,
)
from harrier.config.settings import (
    AuthSettings,
    ElasticsearchSettings,
    ExecutorSettings,
    IndexerSettings,
    KafkaSettings,
    SchedulerSettings,
    Settings,
    StorageSettings,
    TopicOverride,
    TopicOverrides,
    TopicsSettings,
    WebserverSettings,
    WorkerSettings,
)

__all__ = [
    "DEFAULTS_FILE",
    "ENV_PREFIX",
    "AuthSettings",
    "ConfigError",
    "ElasticsearchSettings",
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
    "load_settings",
    "load_settings_or_exit",
    "render_settings",
]
