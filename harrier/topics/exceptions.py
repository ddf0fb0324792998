"""Topics exceptions.

TopicsError                 base of everything raised by harrier.topics
 +-- DecodeError            a record value is not a valid Harrier envelope (dead-letter it)
 +-- ProducerFenced         another producer took over this transactional.id: stop the loop
 +-- TransactionAbortable   the open transaction failed: abort it and reprocess the batch
 +-- ProducerFatal          the producer is unusable for another reason: recreate it
 +-- TopicAdminError        creating or describing topics failed
"""

from __future__ import annotations

__all__ = [
    "DecodeError",
    "ProducerFatal",
    "ProducerFenced",
    "TopicAdminError",
    "TopicsError",
    "TransactionAbortable",
]


class TopicsError(Exception):
    """Base of the exceptions raised by ``harrier.topics``."""


class DecodeError(TopicsError):
    """A record value could not be decoded; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ProducerFenced(TopicsError):
    """A newer producer with the same ``transactional.id`` exists (a rebalance or a zombie).

    The loop must stop using this producer without committing; its partitions now belong to
    the newer instance.
    """


class TransactionAbortable(TopicsError):
    """The current transaction cannot commit; abort it and reprocess from the last commit."""


class ProducerFatal(TopicsError):
    """The producer hit a fatal error other than fencing and must be recreated."""


class TopicAdminError(TopicsError):
    """A topic could not be created, described or changed."""
