"""check_co_partitioning against canned cluster metadata."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, KafkaException

from harrier.config import Settings
from harrier.executor import CoPartitioningError, RuntimeConfig, check_co_partitioning, copartitioning


class Admin:
    def __init__(self, counts: dict[str, int], unreachable: int = 0) -> None:
        self._counts = counts
        # How many metadata requests fail before the broker answers.
        self.unreachable = unreachable

    def list_topics(self, timeout: float) -> SimpleNamespace:
        if self.unreachable:
            self.unreachable -= 1
            raise KafkaException(KafkaError(KafkaError._TRANSPORT, "Broker transport failure"))
        topics = {
            name: SimpleNamespace(error=None, partitions=dict.fromkeys(range(count)))
            for name, count in self._counts.items()
        }
        return SimpleNamespace(topics=topics)


CONFIG = RuntimeConfig(Settings.model_validate({"topics": {"prefix": "x."}}), instance_id="a")


def test_equal_counts_return_the_count() -> None:
    admin = Admin({"x.executions": 6, "x.worker-results": 6, "x.execution-states": 6})
    assert check_co_partitioning(admin, CONFIG) == 6  # type: ignore[arg-type]


def test_different_counts_are_refused_naming_every_topic() -> None:
    admin = Admin({"x.executions": 6, "x.worker-results": 4, "x.execution-states": 6})
    with pytest.raises(CoPartitioningError) as caught:
        check_co_partitioning(admin, CONFIG)  # type: ignore[arg-type]
    listing = "x.executions has 6, x.worker-results has 4, x.execution-states has 6"
    assert listing in str(caught.value)


def test_a_changelog_with_another_count_is_refused() -> None:
    admin = Admin({"x.executions": 6, "x.worker-results": 6, "x.execution-states": 3})
    with pytest.raises(CoPartitioningError, match="x.execution-states has 3"):
        check_co_partitioning(admin, CONFIG)  # type: ignore[arg-type]


def test_missing_topics_are_named() -> None:
    admin = Admin({"x.executions": 6})
    missing = "x.worker-results, x.execution-states do not exist"
    with pytest.raises(CoPartitioningError, match=missing):
        check_co_partitioning(admin, CONFIG)  # type: ignore[arg-type]


def test_an_unreachable_broker_is_waited_for_not_taken_for_a_bad_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copartitioning, "RETRY_S", 0.0)
    admin = Admin({"x.executions": 6, "x.worker-results": 6, "x.execution-states": 6}, unreachable=3)
    assert check_co_partitioning(admin, CONFIG) == 6  # type: ignore[arg-type]
    assert admin.unreachable == 0
