"""The physical floor: bare confluent-kafka latency and throughput on this machine's broker.

Every later Harrier figure is compared against these numbers:
  1. produce -> consume latency, one message at a time (p50/p99), plain;
  2. the same with a transactional producer committing every 25 ms and a read_committed consumer
     (the executor's exactly-once setting);
  3. raw produce and consume throughput for 1 KB messages.

Usage: python -m benchmarks.kafka_floor [--bootstrap 127.0.0.1:9092] [--pings 2000]
       [--messages 200000] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import threading
import time
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from benchmarks.results import write_section


def _topic(admin: AdminClient, name: str, partitions: int = 1) -> str:
    for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        future.result()
    return name


def _consumer(bootstrap: str, topic: str, committed_only: bool) -> Consumer:
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"floor-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "fetch.wait.max.ms": 5,
        "fetch.min.bytes": 1,
        "isolation.level": "read_committed" if committed_only else "read_uncommitted",
    })
    consumer.subscribe([topic])
    while not consumer.assignment():
        consumer.poll(0.1)
    return consumer


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def ping_latency(bootstrap: str, admin: AdminClient, pings: int, transactional: bool) -> dict[str, float]:
    """Send one message, wait until the consumer sees it, repeat; return latency percentiles."""
    topic = _topic(admin, f"floor-ping-{uuid.uuid4().hex[:8]}")
    config = {"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all"}
    if transactional:
        config |= {"transactional.id": f"floor-{uuid.uuid4().hex[:8]}", "retry.backoff.ms": 5}
    producer = Producer(config)
    consumer = _consumer(bootstrap, topic, committed_only=transactional)
    lock = threading.Lock()
    stop = threading.Event()
    committer = None
    if transactional:
        producer.init_transactions()
        producer.begin_transaction()

        def commit_every_25ms() -> None:
            # The executor's checkpoint: whatever was produced in the interval commits together.
            while not stop.is_set():
                time.sleep(0.025)
                with lock:
                    producer.commit_transaction()
                    producer.begin_transaction()

        committer = threading.Thread(target=commit_every_25ms, daemon=True)
        committer.start()
    samples: list[float] = []
    for i in range(pings):
        sent = time.perf_counter()
        with lock:
            producer.produce(topic, value=str(i).encode())
            producer.poll(0)
        while True:
            msg = consumer.poll(1.0)
            if msg is not None and not msg.error():
                break
        samples.append(time.perf_counter() - sent)
    stop.set()
    if committer:
        committer.join()
        producer.commit_transaction()
    producer.flush()
    consumer.close()
    admin.delete_topics([topic])
    return _percentiles(samples)


def throughput(bootstrap: str, admin: AdminClient, messages: int, size: int = 1024) -> dict[str, float]:
    """Produce `messages` messages of `size` bytes as fast as possible, then consume them all."""
    topic = _topic(admin, f"floor-tput-{uuid.uuid4().hex[:8]}", partitions=4)
    producer = Producer({
        "bootstrap.servers": bootstrap, "linger.ms": 5, "batch.size": 1_000_000,
        "compression.type": "lz4", "acks": "all", "queue.buffering.max.messages": 1_000_000,
    })
    payload = os.urandom(size // 2).hex().encode()
    started = time.perf_counter()
    for _ in range(messages):
        while True:
            try:
                producer.produce(topic, payload)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush()
    produce_s = time.perf_counter() - started
    consumer = _consumer(bootstrap, topic, committed_only=False)
    started = time.perf_counter()
    seen = 0
    while seen < messages:
        for msg in consumer.consume(10_000, 1.0):
            if not msg.error():
                seen += 1
    consume_s = time.perf_counter() - started
    consumer.close()
    admin.delete_topics([topic])
    return {
        "produce_msgs_s": messages / produce_s,
        "produce_mb_s": messages * size / produce_s / 1e6,
        "consume_msgs_s": messages / consume_s,
        "consume_mb_s": messages * size / consume_s / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("HARRIER_TEST_KAFKA", "127.0.0.1:9092"))
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--write", help="rewrite this file's 'Kafka floor' section with the figures")
    args = parser.parse_args()
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    plain = ping_latency(args.bootstrap, admin, args.pings, transactional=False)
    print(f"plain ping: p50 {plain['p50_ms']:.2f} ms, p99 {plain['p99_ms']:.2f} ms, max {plain['max_ms']:.2f} ms")
    txn = ping_latency(args.bootstrap, admin, args.pings, transactional=True)
    print(f"txn ping (commit every 25 ms): p50 {txn['p50_ms']:.2f} ms, p99 {txn['p99_ms']:.2f} ms, "
          f"max {txn['max_ms']:.2f} ms")
    tput = throughput(args.bootstrap, admin, args.messages)
    print(f"1 KB produce: {tput['produce_msgs_s']:,.0f} msg/s ({tput['produce_mb_s']:.0f} MB/s); "
          f"consume: {tput['consume_msgs_s']:,.0f} msg/s ({tput['consume_mb_s']:.0f} MB/s)")
    if args.write:
        rows = [
            "| measure | p50 | p99 | max |",
            "|---|---|---|---|",
            f"| produce -> consume, one at a time | {plain['p50_ms']:.2f} ms | {plain['p99_ms']:.2f} ms "
            f"| {plain['max_ms']:.2f} ms |",
            f"| same, transactional producer committing every 25 ms, read_committed | {txn['p50_ms']:.2f} ms "
            f"| {txn['p99_ms']:.2f} ms | {txn['max_ms']:.2f} ms |",
            "",
            "| 1 KB messages (lz4, acks=all, 4 partitions) | msg/s | MB/s |",
            "|---|---|---|",
            f"| produce | {tput['produce_msgs_s']:,.0f} | {tput['produce_mb_s']:.0f} |",
            f"| consume | {tput['consume_msgs_s']:,.0f} | {tput['consume_mb_s']:.0f} |",
        ]
        command = (f"python -m benchmarks.kafka_floor --pings {args.pings} --messages {args.messages}")
        write_section(args.write, "Kafka floor", command, "\n".join(rows))
        print(f"wrote the 'Kafka floor' section of {args.write} ({platform.node()})")


if __name__ == "__main__":
    main()
