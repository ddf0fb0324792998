"""Steady load: CreateExecution commands for the mixed flow at a fixed rate (open loop).

Sends keep their schedule whatever the system does; while the broker is down the producer
buffers and retries (``message.timeout.ms`` is long), so an accepted command is never dropped
on the client side. Every id whose delivery the broker acknowledged is in ``accepted``.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

from confluent_kafka import KafkaError, Message, Producer

from harrier.core.messages import CreateExecution
from harrier.topics.records import encode_command
from harrier.topics.serdes import encode_key
from tests.chaos.openloop import OpenLoop

__all__ = ["Load"]


class Load(OpenLoop):
    """Injects ``total`` executions of ``namespace/flow_id`` at ``rate`` per second in a thread."""

    def __init__(self, bootstrap: str, topic: str, namespace: str, flow_id: str, total: int, rate: float) -> None:
        super().__init__(total, rate, "chaos-load")
        self._topic = topic
        self._namespace = namespace
        self._flow_id = flow_id
        self._producer = Producer({
            "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "log_level": 2,
            "linger.ms": 5, "message.timeout.ms": 300_000, "compression.type": "lz4",
        })
        self.sent: list[str] = []
        self.accepted: set[str] = set()
        self.rejected: dict[str, str] = {}
        self._lock = threading.Lock()

    def join(self, timeout_s: float) -> None:
        """Wait for the last send, then for every delivery report."""
        self._thread.join(timeout_s)
        self._producer.flush(timeout_s)

    def _wait(self, seconds: float) -> None:
        self._producer.poll(min(seconds, 0.05))

    def _finish(self) -> None:
        self._producer.flush(300)

    def _send(self, n: int) -> None:
        execution_id = uuid.uuid4().hex
        command = CreateExecution(
            execution_id=execution_id, namespace=self._namespace, flow_id=self._flow_id,
            labels={"chaos": "load"}, created_at=datetime.now(UTC),
        )
        self.sent.append(execution_id)
        self._produce(execution_id, encode_command(command))

    def _produce(self, execution_id: str, value: bytes) -> None:
        def delivered(error: KafkaError | None, message: Message) -> None:
            with self._lock:
                if error is None:
                    self.accepted.add(execution_id)
                else:
                    self.rejected[execution_id] = str(error)

        while True:
            try:
                self._producer.produce(self._topic, key=encode_key(execution_id), value=value, on_delivery=delivered)
                break
            except BufferError:
                self._producer.poll(0.05)
        self._producer.poll(0)
