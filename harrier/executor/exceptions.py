"""Executor runtime exceptions.

ExecutorError                 base of everything raised by harrier.executor's runtime
 +-- CoPartitioningError      the input topics (and changelog) differ in partition count, or
 |                            one is missing: the runtime refuses to start
 +-- StoreError               the state store was used against its lifecycle (e.g. a write
 |                            to a partition that is not running)
 +-- OutputTooLarge           a processor's output exceeds its topic's max.message.bytes
                              (the processor's ``fail`` records it, or the record that
                              produced it is dead-lettered)

Kafka outcomes come from ``harrier.topics``: ``ProducerFenced`` stops the stream process,
``TransactionAbortable`` restarts it from its last commit.
"""

from __future__ import annotations

__all__ = ["CoPartitioningError", "ExecutorError", "OutputTooLarge", "StoreError"]


class ExecutorError(Exception):
    """Base of the exceptions raised by the executor runtime."""


class CoPartitioningError(ExecutorError):
    """The co-partitioned topics cannot be joined by partition number."""


class StoreError(ExecutorError):
    """A partition store or task was used in a state that does not allow it."""


class OutputTooLarge(ExecutorError):
    """An output record is larger than its topic accepts: ``topic`` (logical) and ``key``
    say which, so the processor can tell whose output it was."""

    def __init__(self, message: str, topic: str, key: bytes | None) -> None:
        super().__init__(message)
        self.topic = topic
        self.key = key
