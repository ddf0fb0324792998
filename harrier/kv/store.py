"""`TopicKVStore`: the KV store kept on the compacted `kv` topic, no database.

Writes are records keyed `namespace/key` (an entry, or a tombstone to delete), produced by
an idempotent producer; `put` and `delete` return only once the broker acknowledged the
record, so a task that wrote reports success only after the write is durable. Reads come
from this process's `KVTable`, after a read barrier (`TopicTable.sync`): every write
acknowledged before the read began, by any process, is seen. So a `kv.Get` or `kv()` right
after a `kv.Set` of the same execution sees the new value, wherever each of them runs.

The table is opened on first use: a process whose flows use no KV store (most executor
processes) holds no consumer and no entries, and a deployment without the `kv` topic fails
only the KV operations, each saying the topic is missing.
"""

from __future__ import annotations

import threading
import time

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from harrier.config.settings import Settings
from harrier.core.kv import KVEntry, KVError, KVUnavailable
from harrier.kv.table import KVTable
from harrier.topics.clients import create_consumer, create_producer
from harrier.topics.exceptions import TopicsError
from harrier.topics.records import KV_ENTRY
from harrier.topics.serdes import encode_key
from harrier.topics.specs import build_specs, topic_name
from harrier.topics.tables import TopicTable

__all__ = ["TopicKVStore"]

# How long a read waits for the table to catch up, and a write for its acknowledgement.
SYNC_TIMEOUT_S = 10.0
WRITE_TIMEOUT_S = 30.0


class TopicKVStore:
    """The KV store of one process: a table of the `kv` topic and, once it writes, a producer."""

    def __init__(self, settings: Settings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._topic = topic_name(settings, "kv")
        self.table = KVTable()
        self._reader: TopicTable | None = None
        self._producer: Producer | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Stop reading; deliver what is still in flight."""
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            if self._producer is not None:
                self._producer.flush(5)

    def get(self, namespace: str, key: str) -> KVEntry | None:
        """The entry (expired or not), or None, as of now."""
        self._sync()
        return self.table.get(namespace, key)

    def entries(self, namespace: str) -> list[KVEntry]:
        """The namespace's entries in key order, as of now."""
        self._sync()
        return self.table.entries(namespace)

    def put(self, entry: KVEntry) -> None:
        """Write the entry; returns once the broker holds it."""
        self._write(entry.uid, KV_ENTRY.encode(entry))

    def delete(self, namespace: str, key: str) -> None:
        """Delete the key (a tombstone); returns once the broker holds it."""
        self._write(f"{namespace}/{key}", None)

    def _sync(self) -> None:
        try:
            self._opened().sync(SYNC_TIMEOUT_S)
        except TimeoutError as exc:
            raise KVUnavailable(f"the KV store is not reachable: {exc}") from None

    def _opened(self) -> TopicTable:
        with self._lock:
            if self._reader is None:
                reader = TopicTable(
                    create_consumer(self._settings, None, f"{self._client_id}-kv"),
                    create_consumer(self._settings, None, f"{self._client_id}-kv-probe"),
                    self._topic, self.table.apply,
                )
                try:
                    reader.start(SYNC_TIMEOUT_S)
                except (TopicsError, TimeoutError) as exc:
                    reader.close()
                    raise KVUnavailable(f"the KV store is not available: {exc}") from None
                self._reader = reader
            return self._reader

    def _write(self, uid: str, value: bytes | None) -> None:
        producer = self._writer()
        done = threading.Event()
        failure: list[KafkaError] = []

        def report(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                failure.append(error)
            done.set()

        try:
            producer.produce(self._topic, value, encode_key(uid), on_delivery=report)
        except KafkaException as exc:
            raise KVUnavailable(f"cannot write {uid} to the KV store: {exc.args[0].str()}") from None
        except BufferError:
            raise KVUnavailable(f"cannot write {uid} to the KV store: the producer's queue is full") from None
        # Any thread's poll serves the report; each writer polls until its own arrived.
        deadline = time.monotonic() + WRITE_TIMEOUT_S
        while not done.is_set() and time.monotonic() < deadline:
            producer.poll(0.01)
        if not done.is_set():
            raise KVUnavailable(f"writing {uid} to the KV store was not acknowledged in {WRITE_TIMEOUT_S:g} s")
        if failure:
            error = failure[0]
            if error.code() == KafkaError.MSG_SIZE_TOO_LARGE:
                limit = build_specs(self._settings)["kv"].max_message_bytes
                raise KVError(f"the value of {uid} is too large for the KV store (over {limit} bytes)")
            raise KVUnavailable(f"cannot write {uid} to the KV store: {error.str()}")

    def _writer(self) -> Producer:
        # The executor only reads: its stores never open a producer.
        with self._lock:
            if self._producer is None:
                self._producer = create_producer(self._settings, f"{self._client_id}-kv")
            return self._producer

