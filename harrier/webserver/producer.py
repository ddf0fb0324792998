"""An asyncio face on one confluent-kafka producer: ``await send(...)`` until the broker acks.

A request that writes to Kafka (a deploy, a command) answers only once the record is
durable, so a client that reads right after sees it. Delivery callbacks are served by a
small poll thread and resolve the awaiting future on its own loop.
"""

from __future__ import annotations

import asyncio
import threading

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from harrier.webserver.exceptions import Unavailable

__all__ = ["AsyncProducer"]

_POLL_S = 0.05


class AsyncProducer:
    """Produces records and awaits their delivery reports."""

    def __init__(self, producer: Producer, timeout_s: float = 30.0) -> None:
        self._producer = producer
        self.timeout_s = timeout_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="harrier-webserver-producer", daemon=True)

    def start(self) -> None:
        """Start serving delivery reports."""
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Flush what is in flight, then stop."""
        self._producer.flush(timeout_s)
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)

    async def send(self, topic: str, key: str, value: bytes | None) -> Message:
        """Produce one record and wait for the broker's acknowledgement."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Message] = loop.create_future()

        def delivered(error: KafkaError | None, message: Message) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_settle, future, error, message)

        try:
            self._producer.produce(topic, value, key.encode(), on_delivery=delivered)
        except BufferError:
            raise Unavailable("the Kafka producer queue is full; retry shortly") from None
        except KafkaException as exc:
            raise Unavailable(f"cannot write to {topic}: {exc.args[0]}") from None
        try:
            return await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            raise Unavailable(f"Kafka did not acknowledge the write to {topic} within {self.timeout_s:g}s") from None

    def metadata(self, timeout_s: float) -> object:
        """The cluster metadata (blocking): proves the brokers answer."""
        return self._producer.list_topics(timeout=timeout_s)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(_POLL_S)


def _settle(future: asyncio.Future[Message], error: KafkaError | None, message: Message) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(Unavailable(f"cannot write to {message.topic()}: {error.str()}"))
    else:
        future.set_result(message)
