"""Everything the worker writes: results, log and metric batches, dead letters.

One idempotent producer. Results and dead letters report their delivery, because a task's
offset may only be committed once its result is safely on the broker; logs and metrics are
fire-and-forget, flushed in batches before each result so they precede it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from confluent_kafka import KafkaError, Message, Producer

from harrier.core.logbatches import Line, batch_lines
from harrier.core.messages import MetricEntry, WorkerResult
from harrier.topics.deadletters import send_to_dead_letters
from harrier.topics.records import LOG_BATCH, METRIC, WORKER_RESULT
from harrier.topics.serdes import encode_key
from harrier.worker.batches import Batch

__all__ = ["Outbox", "Topics"]

logger = logging.getLogger("harrier.worker")

Delivered = Callable[[], None]


class Topics:
    """The full names of the topics the worker uses."""

    __slots__ = ("controls", "dead_letters", "logs", "metrics", "results", "tasks")

    def __init__(self, prefix: str) -> None:
        self.tasks = prefix + "worker-tasks"
        self.results = prefix + "worker-results"
        self.controls = prefix + "worker-controls"
        self.logs = prefix + "logs"
        self.metrics = prefix + "metrics"
        self.dead_letters = prefix + "dead-letters"


class Outbox:
    """Produces the worker's records; call `poll` often to serve delivery reports."""

    def __init__(self, producer: Producer, topics: Topics) -> None:
        self._producer = producer
        self._topics = topics
        self.logs: Batch[Line] = Batch()
        self.metrics: Batch[MetricEntry] = Batch()

    def send_result(self, result: WorkerResult, delivered: Delivered) -> None:
        """Produce `result` keyed by its execution id; `delivered()` runs once it is acknowledged."""
        value = WORKER_RESULT.encode(result)
        key = encode_key(result.execution_id)

        def report(error: KafkaError | None, _: Message) -> None:
            if error is None:
                delivered()
                return
            # Not committing past this task would redeliver it; sending again is cheaper.
            logger.warning("result of task run %s not delivered (%s); sending again", result.task_run_id, error.str())
            self._produce(self._topics.results, key, value, report)

        self._produce(self._topics.results, key, value, report)

    def dead_letter(self, record: Message, error: BaseException | str, delivered: Delivered) -> None:
        """Send `record` to dead-letters with `error`; `delivered()` runs once it is acknowledged."""
        logger.warning("dead-lettering %s[%s]@%s: %s", record.topic(), record.partition(), record.offset(), error)

        def report(failure: KafkaError | None, _: Message) -> None:
            if failure is None:
                delivered()
            else:
                logger.error("dead letter for %s@%s not delivered: %s", record.topic(), record.offset(), failure.str())

        send_to_dead_letters(_Reporting(self._producer, report), record, error, topic=self._topics.dead_letters)

    def flush_telemetry(self) -> int:
        """Produce every buffered log line (a batch per task run) and metric; return how many
        records were queued."""
        count = 0
        for batch in batch_lines(self.logs.drain()):
            self._produce(self._topics.logs, encode_key(batch.execution_id), LOG_BATCH.encode(batch))
            count += 1
        for metric in self.metrics.drain():
            self._produce(self._topics.metrics, encode_key(metric.execution_id), METRIC.encode(metric))
            count += 1
        return count

    def poll(self, timeout_s: float = 0.0) -> None:
        """Serve delivery reports."""
        self._producer.poll(timeout_s)

    def flush(self, timeout_s: float) -> int:
        """Send everything queued; return how many records are still undelivered."""
        self.flush_telemetry()
        return self._producer.flush(timeout_s)  # type: ignore[no-any-return]

    def _produce(self, topic: str, key: bytes, value: bytes, report: Callable[[KafkaError | None, Message], None] | None = None) -> None:
        while True:
            try:
                if report is None:
                    self._producer.produce(topic, value=value, key=key)
                else:
                    self._producer.produce(topic, value=value, key=key, on_delivery=report)
                return
            except BufferError:
                # The local queue is full: serve delivery reports to make room.
                self._producer.poll(0.05)


class _Reporting:
    """Adds a delivery callback to `send_to_dead_letters`' produce call."""

    def __init__(self, producer: Producer, report: Callable[[KafkaError | None, Message], None]) -> None:
        self._producer = producer
        self._report = report

    def produce(self, topic: str, value: bytes | None = None, key: bytes | None = None, headers: list | None = None) -> None:  # type: ignore[type-arg]
        self._producer.produce(topic, value=value, key=key, headers=headers, on_delivery=self._report)
