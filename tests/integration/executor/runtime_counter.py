"""A toy processor for the runtime's tests and benchmark: a counter per key.

Input values are JSON objects: ``{"seq": n}`` counts; ``"timer_ms": t`` also arms a timer
``t`` ms ahead; ``"fail": true`` raises (a poison record). Each counted record emits
``{"key", "count", "seq"}`` to ``worker-tasks``; a fired timer emits
``{"key", "count", "timer": true}``. Anything that is not a JSON object fails to decode.

Spawned stream processes import it by module name: it lives next to the tests, whose
directory pytest puts on ``sys.path`` (and spawn hands ``sys.path`` to children).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from harrier.executor import InputRecord, OutputRecord, PartitionStore

OUTPUT = "worker-tasks"


class CounterCodec:
    """States are ``{"count": int, "timer": epoch seconds | None}``."""

    def encode(self, state: dict[str, Any]) -> bytes:
        return orjson.dumps(state)

    def decode(self, data: bytes) -> dict[str, Any]:
        return orjson.loads(data)  # type: ignore[no-any-return]

    def next_timer(self, state: dict[str, Any]) -> datetime | None:
        timer = state.get("timer")
        return None if timer is None else datetime.fromtimestamp(timer, UTC)

    def rests(self, state: dict[str, Any]) -> bool:
        return False


class CounterProcessor:
    """Counts records per key; see the module docstring."""

    codec = CounterCodec()

    def decode(self, source: str, value: bytes) -> dict[str, Any]:
        decoded = orjson.loads(value)
        if type(decoded) is not dict:
            raise ValueError(f"{source}: expected a JSON object, got {type(decoded).__name__}")
        return decoded  # type: ignore[no-any-return]

    def process(self, record: InputRecord, store: PartitionStore) -> Sequence[OutputRecord]:
        value = record.value
        state = store.get(record.key)
        count = (state["count"] if state else 0) + 1
        timer_ms = value.get("timer_ms")
        timer = None if timer_ms is None else record.timestamp_ms / 1000 + timer_ms / 1000
        store.put(record.key, {"count": count, "timer": timer})
        if value.get("fail"):
            raise ValueError(f"poison record at offset {record.offset}")
        payload = {"key": record.key, "count": count, "seq": value.get("seq")}
        return [OutputRecord(OUTPUT, record.key.encode(), orjson.dumps(payload))]

    def punctuate(self, key: str, now: datetime, store: PartitionStore) -> Sequence[OutputRecord]:
        state = store.get(key)
        if state is None:
            return []
        store.put(key, {"count": state["count"], "timer": None})
        payload = {"key": key, "count": state["count"], "timer": True}
        return [OutputRecord(OUTPUT, key.encode(), orjson.dumps(payload))]

    def fail(self, key: str, value: Any, error: Exception, store: PartitionStore) -> None:
        """A poison record is the runtime's dead-letter case here: nothing is recorded."""
        return None
