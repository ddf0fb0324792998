"""Stream runtime benchmark: one stream process running the toy counter processor.

- throughput: N records pre-loaded on ``executions`` (1,000 keys, 4 partitions), then one
  stream process consumes, counts and emits one output per record, committing a transaction
  every ``commit-interval-ms``; records/s from the first output to the last, as seen by a
  read_committed reader.
- latency: an idle stream process; one record every 20 ms; time from produce to the output
  being visible to a read_committed reader; p50 / p99.
- restore: states/s replayed from ``execution-states`` into stores (decode included).
- transactions: the checkpoint's Kafka calls alone (100 records, send_offsets_to_transaction,
  commit_transaction), back to back and paced at the commit interval: transactions/s and
  the time spent in send_offsets (where CONCURRENT_TRANSACTIONS retries show) and commit.

Each scenario runs for every ``retry.backoff.ms`` given (back-to-back transactions meet
CONCURRENT_TRANSACTIONS, which librdkafka retries after that back-off) and once with
at-least-once for reference.

    .venv/bin/python benchmarks/runtime_bench.py --records 100000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration" / "executor"))

from confluent_kafka import TopicPartition  # noqa: E402
from runtime_counter import CounterProcessor  # noqa: E402
from runtime_harness import Reader, Sender, create_topics, wait_for  # noqa: E402

from harrier.config import Settings  # noqa: E402
from harrier.executor import RuntimeConfig, Supervisor  # noqa: E402
from harrier.executor.restore import ChangelogRestorer  # noqa: E402
from harrier.executor.sink import RecordSink  # noqa: E402
from harrier.executor.tasks import StreamTask  # noqa: E402
from harrier.topics import create_admin, create_consumer, create_transactional_producer  # noqa: E402


def _config(
    bootstrap: str, backoff_ms: int, guarantee: str, interval_ms: int, backoff_max_ms: int
) -> RuntimeConfig:
    settings = Settings.model_validate(
        {
            "kafka": {
                "bootstrap-servers": bootstrap,
                "producer": {
                    "retry.backoff.ms": backoff_ms,
                    "retry.backoff.max.ms": backoff_max_ms,
                },
            },
            "topics": {"prefix": f"bench-{uuid.uuid4().hex[:8]}.", "partitions": 4},
            "executor": {
                "stream-threads": 1,
                "processing-guarantee": guarantee,
                "commit-interval-ms": interval_ms,
            },
        }
    )
    return RuntimeConfig(settings, instance_id="bench")


class _Running:
    def __init__(self, config: RuntimeConfig) -> None:
        self.supervisor = Supervisor(config, CounterProcessor, processes=1)
        self._thread = threading.Thread(target=self.supervisor.run, daemon=True)

    def __enter__(self) -> Supervisor:
        self._thread.start()
        return self.supervisor

    def __exit__(self, *exc: object) -> None:
        self.supervisor.request_stop()
        self._thread.join(60)


def throughput(config: RuntimeConfig, records: int) -> float:
    """Records/s through one stream process."""
    create_topics(config)
    sender = Sender(config)
    for i in range(records):
        sender.send(f"exec-{i % 1000}", {"seq": i})
    sender.flush()
    reader = Reader(config, "worker-tasks")
    with _Running(config):
        reader.read_until(lambda ms: len(ms) >= 1, timeout_s=60)
        first = time.monotonic()
        reader.read_until(lambda ms: len(ms) >= records, timeout_s=600)
        last = time.monotonic()
    reader.close()
    return (records - 1) / (last - first)


def latency(config: RuntimeConfig, samples: int) -> tuple[float, float]:
    """p50 and p99 in ms of one record in -> its output visible to read_committed."""
    create_topics(config)
    sender = Sender(config)
    reader = Reader(config, "worker-tasks")
    sent: dict[int, float] = {}
    seen: dict[int, float] = {}
    with _Running(config):
        sender.send("warm-up", {"seq": -1})
        sender.flush()
        reader.read_until(lambda ms: len(ms) >= 1, timeout_s=60)
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                for message in reader._consumer.consume(100, 0.005):
                    if message.error() is None:
                        seen[orjson.loads(message.value())["seq"]] = time.perf_counter()

        thread = threading.Thread(target=read)
        thread.start()
        for seq in range(samples):
            sent[seq] = time.perf_counter()
            sender.send(f"exec-{seq % 100}", {"seq": seq})
            sender.flush()
            time.sleep(0.02)
        wait_for(lambda: len(seen) >= samples, 30, "every output")
        stop.set()
        thread.join()
    reader.close()
    millis = sorted((seen[seq] - sent[seq]) * 1000 for seq in range(samples))
    return statistics.median(millis), millis[int(len(millis) * 0.99) - 1]


def restore(config: RuntimeConfig, states: int) -> tuple[float, int]:
    """Seconds to restore ``states`` counter states (spread over 4 partitions) from the
    changelog into stores, as a stream process does on assignment; and the partitions."""
    create_topics(config)
    sender = Sender(config)
    reader = Reader(config, "worker-tasks")
    for i in range(states):
        sender.send(f"exec-{i}", {"seq": i})
    sender.flush()
    with _Running(config):
        reader.read_until(lambda ms: len(ms) >= states, timeout_s=300)
    reader.close()

    changelog = config.topic(config.changelog)
    admin = create_admin(config.settings)
    partitions = admin.list_topics(changelog, timeout=10).topics[changelog].partitions
    restorer = ChangelogRestorer(
        lambda: create_consumer(config.settings, None, "bench-restore"), changelog, admin
    )
    sink = RecordSink(Sender(config)._producer, "", "")
    done = [StreamTask(partition, [], CounterProcessor(), sink, changelog) for partition in partitions]
    started = time.monotonic()
    restorer.restore(done)
    elapsed = time.monotonic() - started
    restored = sum(len(task.store) for task in done)
    if restored != states:
        raise AssertionError(f"restored {restored} states, expected {states}")
    return elapsed, len(partitions)


def transactions(
    config: RuntimeConfig, pace_ms: int, seconds: float = 4.0
) -> tuple[float, list[float], list[float]]:
    """Transactions/s and the send_offsets and commit durations (ms) of a bare checkpoint."""
    create_topics(config)
    settings = config.settings
    consumer = create_consumer(settings, config.group_id, "bench-txn", config.consumer_overrides())
    consumer.subscribe([config.topic("executions")])
    while not consumer.assignment():
        consumer.poll(0.1)
    producer = create_transactional_producer(
        settings, f"{config.group_id}-bench", overrides=config.producer_overrides()
    )
    output = config.topic("worker-tasks")
    offsets, commits = [], []
    count = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        producer.begin()
        for i in range(100):
            producer.produce(output, b"x" * 100, b"key-%d" % i)
        count += 1
        position = [TopicPartition(config.topic("executions"), 0, count)]
        before = time.perf_counter()
        producer.send_offsets(position, consumer.consumer_group_metadata())
        between = time.perf_counter()
        producer.commit()
        offsets.append((between - before) * 1000)
        commits.append((time.perf_counter() - between) * 1000)
        consumer.poll(0)
        time.sleep(max(pace_ms / 1000 - (time.monotonic() - started), 0))
    consumer.close()
    return count / seconds, sorted(offsets), sorted(commits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--backoffs", default="100/1000,20/20,5/25", help="retry.backoff.ms/retry.backoff.max.ms"
    )
    parser.add_argument("--interval-ms", type=int, default=25)
    parser.add_argument("--states", type=int, default=100_000, help="states to restore")
    parser.add_argument("--skip-pipeline", action="store_true", help="only restore, transactions")
    args = parser.parse_args()

    def config(guarantee: str, backoff: str) -> RuntimeConfig:
        low, high = (int(part) for part in backoff.split("/"))
        return _config(args.bootstrap, low, guarantee, args.interval_ms, high)

    if args.states:
        seconds, partitions = restore(config("exactly_once", "20/20"), args.states)
        print(
            f"restore: {args.states:,} states from {partitions} changelog partitions in "
            f"{seconds:.2f} s ({args.states / seconds:,.0f} states/s)",
            flush=True,
        )
    for pace in (0, args.interval_ms):
        for backoff in args.backoffs.split(","):
            rate, offsets, commits = transactions(config("exactly_once", backoff), pace)
            print(
                f"transactions paced {pace:>2} ms  retry.backoff.ms/max={backoff:<9} "
                f"{rate:6.1f} txn/s   send_offsets p50 {_q(offsets, 0.5):6.1f} ms "
                f"p99 {_q(offsets, 0.99):6.1f} ms   commit p50 {_q(commits, 0.5):5.1f} ms "
                f"p99 {_q(commits, 0.99):6.1f} ms",
                flush=True,
            )
    if args.skip_pipeline:
        return
    runs = [("exactly_once", backoff) for backoff in args.backoffs.split(",")]
    runs.append(("at_least_once", "20/20"))
    for guarantee, backoff in runs:
        rate = throughput(config(guarantee, backoff), args.records)
        p50, p99 = latency(config(guarantee, backoff), args.samples)
        print(
            f"{guarantee:14} retry.backoff.ms/max={backoff:<9} commit={args.interval_ms} ms  "
            f"{rate:>9,.0f} records/s   latency p50 {p50:6.1f} ms  p99 {p99:6.1f} ms",
            flush=True,
        )


def _q(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


if __name__ == "__main__":
    main()
