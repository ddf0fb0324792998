"""The settings model: resolved helpers and cross-field rules."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from harrier.config import ExecutorSettings, Settings, WorkerSettings
from harrier.config.settings import AuthSettings


def test_stream_threads_zero_means_cpu_count() -> None:
    assert ExecutorSettings().effective_stream_threads() == (os.cpu_count() or 1)
    assert ExecutorSettings.model_validate({"stream-threads": 3}).effective_stream_threads() == 3


def test_worker_threads_zero_means_eight_per_cpu() -> None:
    assert WorkerSettings().effective_threads() == 8 * (os.cpu_count() or 1)
    assert WorkerSettings.model_validate({"threads": 5}).effective_threads() == 5


def test_negative_thread_counts_are_rejected() -> None:
    with pytest.raises(ValidationError):
        ExecutorSettings.model_validate({"stream-threads": -1})


def test_settings_are_immutable() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.executor.poll_ms = 1  # type: ignore[misc]


def test_override_lookup_by_logical_name() -> None:
    settings = Settings.model_validate(
        {"topics": {"overrides": {"execution-states": {"partitions": 2}}}}
    )
    assert settings.topics.overrides.for_topic("execution-states").partitions == 2
    assert settings.topics.overrides.for_topic("logs").partitions is None


@pytest.mark.parametrize(
    ("auth", "problem"),
    [
        ({"mode": "basic"}, "mode basic needs at least one entry in users"),
        ({"mode": "bearer"}, "mode bearer needs at least one entry in tokens"),
    ],
)
def test_auth_modes_need_credentials(auth: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        AuthSettings.model_validate(auth)


def test_auth_with_credentials_is_valid() -> None:
    basic = AuthSettings.model_validate({"mode": "basic", "users": {"admin": "pw"}})
    bearer = AuthSettings.model_validate({"mode": "bearer", "tokens": ["t1"]})
    assert basic.users == {"admin": "pw"}
    assert bearer.tokens == ["t1"]
