"""The loop's delivery rules, with in-memory stand-ins for the consumer, Elasticsearch and the producer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from confluent_kafka import Message, TopicPartition

from harrier.indexer.actions import Action
from harrier.indexer.backoff import Backoff
from harrier.indexer.batches import BatchLimits
from harrier.indexer.bulk import BulkOutcome
from harrier.indexer.documents import DocumentBuilder
from harrier.indexer.exceptions import ElasticsearchUnavailable
from harrier.indexer.indices import IndexNames
from harrier.indexer.loop import IndexerLoop
from harrier.topics.serdes import encode_data

TOPIC = "p.logs"


def log_record(offset: int, partition: int = 0, value: bytes | None = None) -> Message:
    data = {"execution_id": "e", "levels": ["INFO"], "timestamps": ["2026-11-25T10:00:00Z"], "messages": [f"m{offset}"]}
    return Message(topic=TOPIC, partition=partition, offset=offset, key=b"e",
                   value=value if value is not None else encode_data("log-batch", data), timestamp=(1, 0))


class FakeConsumer:
    def __init__(self, records: list[Message], stop: threading.Event) -> None:
        self.records = records
        self.stop = stop
        self.commits: list[list[tuple[str, int, int]]] = []
        self.events: list[str] = []
        self.on_poll: Callable[[], None] | None = None

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        taken, self.records = self.records[:num_messages], self.records[num_messages:]
        return taken

    def poll(self, timeout: float) -> Message | None:
        if self.on_poll is not None:
            self.on_poll()
        return self.records.pop(0) if self.records else None

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)]

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.events.append("pause")

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.events.append("resume")

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        # Never a synchronous commit: one sent as the broker restarts can block for good.
        assert asynchronous
        self.events.append("commit")
        self.commits.append(sorted((tp.topic, tp.partition, tp.offset) for tp in offsets))
        if not self.records:
            self.stop.set()

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [TopicPartition(tp.topic, tp.partition, -1001) for tp in partitions]

    def get_watermark_offsets(self, tp: TopicPartition, timeout: float, cached: bool) -> tuple[int, int]:
        return (0, 10)


class ScriptedShipper:
    """Answers each bulk request with the next scripted outcome (or an exception)."""

    def __init__(self, script: list[BulkOutcome | Exception]) -> None:
        self.script = script
        self.requests: list[list[str]] = []

    def ship(self, actions: Sequence[Action]) -> BulkOutcome:
        self.requests.append([action.doc_id for action in actions])
        answer = self.script.pop(0) if self.script else BulkOutcome()
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeProducer:
    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.produced: list[tuple[str, bytes | None, list[tuple[str, bytes]]]] = []

    def produce(self, topic: str, value: bytes | None = None, key: bytes | None = None,
                headers: list[tuple[str, bytes]] | None = None) -> None:
        self.produced.append((topic, value, headers or []))

    def flush(self, timeout: float) -> int:
        self.events.append("flush")
        return 0


def run(
    records: list[Message], script: list[BulkOutcome | Exception], batch_records: int = 100, max_age_s: float = 0.0
) -> tuple[IndexerLoop, FakeConsumer, ScriptedShipper, FakeProducer]:
    stop = threading.Event()
    consumer = FakeConsumer(records, stop)
    shipper = ScriptedShipper(script)
    producer = FakeProducer(consumer.events)
    loop = IndexerLoop(
        consumer, DocumentBuilder(IndexNames("h-"), {TOPIC: "logs"}), shipper,  # type: ignore[arg-type]
        producer, "p.dead-letters", BatchLimits(batch_records, 10**9, max_age_s),  # type: ignore[arg-type]
        backoff=Backoff(0.001, 0.002), lag_interval_s=0.0,
    )
    worker = threading.Thread(target=loop.run, args=(stop,))
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    return loop, consumer, shipper, producer


def test_offsets_commit_only_after_elasticsearch_comes_back() -> None:
    down = ElasticsearchUnavailable("connection refused")
    loop, consumer, shipper, _ = run([log_record(0), log_record(1, partition=1)], [down, down, BulkOutcome()])
    assert len(shipper.requests) == 3
    assert shipper.requests[0] == shipper.requests[2] == ["p.logs-0-0", "p.logs-1-1"]
    assert consumer.events == ["pause", "resume", "flush", "commit"]
    assert consumer.commits == [[(TOPIC, 0, 1), (TOPIC, 1, 2)]]
    assert loop.status.elasticsearch_up and loop.status.indexed == 2
    assert loop.status.lag == {f"{TOPIC}/0": 10, f"{TOPIC}/1": 10}


def test_a_partial_batch_ships_once_the_consumer_has_caught_up() -> None:
    # No limit is reached (100 records, a minute): nothing more to read and nothing in
    # flight ships the batch now rather than a minute later.
    loop, consumer, shipper, _ = run([log_record(n) for n in range(3)], [], max_age_s=60.0)
    assert shipper.requests == [["p.logs-0-0", "p.logs-0-1", "p.logs-0-2"]]
    assert consumer.commits == [[(TOPIC, 0, 3)]]


def test_batches_commit_in_order_when_the_first_one_needs_a_retry() -> None:
    down = ElasticsearchUnavailable("timeout")
    loop, consumer, shipper, _ = run([log_record(n) for n in range(4)], [down], batch_records=2)
    assert shipper.requests == [["p.logs-0-0", "p.logs-0-1"], ["p.logs-0-0", "p.logs-0-1"], ["p.logs-0-2", "p.logs-0-3"]]
    assert consumer.commits == [[(TOPIC, 0, 2)], [(TOPIC, 0, 4)]]
    assert loop.status.indexed == 4


def test_partial_failure_resends_only_the_failed_documents() -> None:
    loop, consumer, shipper, _ = run([log_record(n) for n in range(3)], [BulkOutcome(retry=[1]), BulkOutcome()])
    assert shipper.requests == [["p.logs-0-0", "p.logs-0-1", "p.logs-0-2"], ["p.logs-0-1"]]
    assert consumer.commits == [[(TOPIC, 0, 3)]]
    assert loop.status.indexed == 3


def test_refused_documents_are_dead_lettered_before_the_commit() -> None:
    refused = BulkOutcome(refused=[(1, "elasticsearch refused h-logs/x: document_parsing_exception: bad")])
    loop, consumer, shipper, producer = run([log_record(n) for n in range(3)], [refused])
    assert len(shipper.requests) == 1
    ((topic, value, headers),) = producer.produced
    assert topic == "p.dead-letters"
    assert value == log_record(1).value()
    assert dict(headers)["harrier.dlq.error"].startswith(b"elasticsearch refused")
    assert consumer.events.index("flush") < consumer.events.index("commit")
    assert consumer.commits == [[(TOPIC, 0, 3)]]
    assert (loop.status.indexed, loop.status.dead_lettered) == (2, 1)


def test_undecodable_record_is_dead_lettered_and_the_rest_indexed() -> None:
    loop, consumer, shipper, producer = run([log_record(0, value=b"{oops"), log_record(1)], [])
    assert shipper.requests == [["p.logs-0-1"]]
    assert len(producer.produced) == 1
    assert consumer.commits == [[(TOPIC, 0, 2)]]


def test_revocation_during_an_outage_drops_the_batch_without_committing() -> None:
    stop = threading.Event()
    consumer = FakeConsumer([log_record(0)], stop)
    shipper = ScriptedShipper([ElasticsearchUnavailable("down")] * 100)
    loop = IndexerLoop(
        consumer, DocumentBuilder(IndexNames("h-"), {TOPIC: "logs"}), shipper,  # type: ignore[arg-type]
        FakeProducer(consumer.events), "p.dead-letters", BatchLimits(100, 10**9, 0.0),  # type: ignore[arg-type]
        backoff=Backoff(0.001, 0.002),
    )
    def revoke_then_stop() -> None:
        loop.on_revoke(consumer, consumer.assignment())  # type: ignore[arg-type]
        stop.set()

    consumer.on_poll = revoke_then_stop
    worker = threading.Thread(target=loop.run, args=(stop,))
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    assert consumer.commits == []
    assert len(shipper.requests) == 1
    assert not loop.status.elasticsearch_up


def test_the_commit_callback_counts_only_acknowledged_commits() -> None:
    from confluent_kafka import KafkaError

    from harrier.indexer.loop import commit_counter
    from harrier.indexer.status import IndexerStatus

    status = IndexerStatus()
    on_commit = commit_counter(status)
    on_commit(None, [TopicPartition(TOPIC, 0, 3)])
    on_commit(KafkaError(KafkaError.NOT_COORDINATOR, "not coordinator"), [TopicPartition(TOPIC, 0, 5)])
    assert status.commits == 1
