"""The interface between the stream runtime and what it runs.

The runtime (loop, store, restore, checkpoint) knows nothing about executions. A
``Processor`` plugs in: it decodes input values, turns one record (or one due timer) into
output records and store changes, and says how its state objects are encoded and when each
one's next timer is due. The runtime calls it from a single thread per stream process, so a
processor needs no locking.

Contract:

- ``process`` and ``punctuate`` change state only through ``store.put`` / ``store.delete``
  and must not mutate a state object they read (replace it).
- When they raise (or an output they return is too large for its topic), the runtime asks
  ``fail`` to record the error in the key's own state, with the failing record's changes
  still in the store (``store.before`` has the state they replaced). What ``fail`` puts
  replaces them; when it returns None (the record
  belongs to no state) or raises too, the runtime rolls the record's changes back and
  dead-letters the record. Either way the record is done: nothing is retried.
- Outputs are returned, not produced: the runtime ships them in the open transaction.
- ``next_timer(state)`` is the single source of timers: it is asked after every ``put`` and
  for every state restored from the changelog, so timers survive restarts without a topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from harrier.executor.store import PartitionStore

__all__ = ["InputRecord", "OutputRecord", "Processor", "StateCodec"]

Headers = Sequence[tuple[str, bytes | str | None]]


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One decoded record of an input topic, keyed by execution id.

    ``source`` is the logical topic name (``executions`` or ``worker-results``); ``value`` is
    what ``Processor.decode`` returned (None for a tombstone, which is not decoded).
    """

    source: str
    key: str
    value: Any
    partition: int
    offset: int
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """A record to produce in the current transaction.

    ``topic`` is a logical topic name (``worker-tasks``); the runtime adds the prefix.
    ``value`` is already encoded (None is a tombstone). ``partition`` None lets the
    producer's partitioner choose from the key.
    """

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers | None = None
    partition: int | None = None


class StateCodec(Protocol):
    """How the store's state objects are written to and read from the changelog."""

    def encode(self, state: Any) -> bytes:
        """The changelog value of ``state``."""
        ...

    def decode(self, data: bytes) -> Any:
        """The state object of a changelog value (called once per restored record)."""
        ...

    def next_timer(self, state: Any) -> datetime | None:
        """When ``state`` next needs ``punctuate`` (timezone-aware), or None."""
        ...

    def rests(self, state: Any) -> bool:
        """True when ``state`` is unlikely to be read again (it waits only for its timer), so
        the store may keep it as its changelog bytes."""
        ...


class Processor(Protocol):
    """What the stream runtime runs; see the module docstring for the contract."""

    codec: StateCodec

    def decode(self, source: str, value: bytes) -> Any:
        """The object of an input value; raising dead-letters the record."""
        ...

    def process(self, record: InputRecord, store: PartitionStore) -> Sequence[OutputRecord]:
        """Apply one input record to the partition's store; return the records to emit."""
        ...

    def punctuate(self, key: str, now: datetime, store: PartitionStore) -> Sequence[OutputRecord]:
        """Handle the due timer of ``key`` (retry back-off, pause delay, timeouts).

        A timer fires once per state version: it is armed again only when ``key``'s state is
        put (or restored) with a ``next_timer`` in the future or past.
        """
        ...

    def fail(
        self, key: str, value: Any, error: Exception, store: PartitionStore
    ) -> Sequence[OutputRecord] | None:
        """Record ``error``, raised for ``key``'s record (its decoded ``value``; None for a
        timer), in ``key``'s state; the records to emit, or None to dead-letter the record."""
        ...
