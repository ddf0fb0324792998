"""Worker benchmark: what one worker process sustains on this machine's broker.

  1. no-op throughput: tasks/s through one worker for tasks that do nothing but answer
     (OutputValues in the thread pool, a zero-length Sleep in the asyncio lane), measured
     from the first result to the last over a backlog produced beforehand;
  2. concurrency: N Sleep tasks of 5 s sent at once to one worker with `async-concurrency`
     N; how many it held at the same time, how long until the last result, its peak memory.

The worker runs in its own OS process (`serve` mode), as in production; this process only
produces tasks and reads results.

Usage: python -m benchmarks.worker_bench [--bootstrap 127.0.0.1:9092] [--noop 20000]
       [--sleeps 1000,5000] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil
from confluent_kafka import TopicPartition

from benchmarks.results import write_section
from harrier.config import Settings
from harrier.core.messages import WorkerTask
from harrier.topics import build_specs, create_admin, create_consumer, create_producer, ensure_topics
from harrier.topics.records import WORKER_RESULT, WORKER_TASK
from harrier.topics.serdes import encode_key

TOPICS = ("worker-tasks", "worker-results", "worker-controls", "logs", "metrics", "dead-letters")


def settings_for(bootstrap: str, async_concurrency: int = 256) -> Settings:
    """Settings for one run: fresh topics (4 partitions) under a unique prefix."""
    return Settings.model_validate({
        "kafka": {"bootstrap-servers": bootstrap},
        "topics": {"prefix": f"bench-{uuid.uuid4().hex[:8]}.", "partitions": 4},
        "worker": {"async-concurrency": async_concurrency},
        "storage": {"base-path": tempfile.mkdtemp(prefix="harrier-bench-")},
    })


def task(definition: dict[str, Any]) -> WorkerTask:
    return WorkerTask(
        execution_id=uuid.uuid4().hex, task_run_id=uuid.uuid4().hex, task_id=definition["id"], attempt=1,
        namespace="bench", flow_id="worker", flow_revision=1, task=definition, created_at=datetime.now(timezone.utc),
    )


@dataclass
class WorkerProcess:
    """A worker in its own process; tracks its peak running tasks and peak memory."""

    process: subprocess.Popen[str]
    peak_running: int = 0
    peak_rss: int = 0
    baseline_rss: int = 0

    @classmethod
    def start(cls, settings: Settings) -> WorkerProcess:
        process = subprocess.Popen([sys.executable, "-m", "benchmarks.worker_bench", "serve", settings.model_dump_json()],
                                   stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
        worker = cls(process)
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the worker process did not start")
        worker.baseline_rss = psutil.Process(process.pid).memory_info().rss
        threading.Thread(target=worker._follow, daemon=True).start()
        threading.Thread(target=worker._sample, daemon=True).start()
        return worker

    def _follow(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("running="):
                self.peak_running = max(self.peak_running, int(line.split("=")[1]))

    def _sample(self) -> None:
        while self.process.poll() is None:
            try:
                self.peak_rss = max(self.peak_rss, psutil.Process(self.process.pid).memory_info().rss)
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def serve(settings_json: str) -> None:
    """`serve` mode: run a worker, print `ready`, then `running=<n>` whenever it changes."""
    from harrier.worker import Worker

    worker = Worker(Settings.model_validate_json(settings_json), shutdown_grace_s=1)
    import signal

    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    worker.ready.wait(30)
    print("ready", flush=True)
    last = -1
    while thread.is_alive():
        if worker.running != last:
            last = worker.running
            print(f"running={last}", flush=True)
        time.sleep(0.01)


def produce(settings: Settings, records: list[WorkerTask]) -> None:
    producer = create_producer(settings, client_id="bench-producer")
    topic = settings.topics.prefix + "worker-tasks"
    for record in records:
        while True:
            try:
                producer.produce(topic, key=encode_key(record.task_run_id), value=WORKER_TASK.encode(record))
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)


def collect(settings: Settings, count: int, timeout_s: float) -> tuple[list[float], dict[str, int]]:
    """Arrival times of `count` results, and how many ended in each state."""
    topic = settings.topics.prefix + "worker-results"
    consumer = create_consumer(settings, None, client_id="bench-results")
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    arrivals: list[float] = []
    states: dict[str, int] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(arrivals) < count and time.monotonic() < deadline:
            for message in consumer.consume(1000, 0.05):
                if message.error() is None:
                    result = WORKER_RESULT.decode(message.value())
                    arrivals.append(time.monotonic())
                    states[result.state.value] = states.get(result.state.value, 0) + 1
    finally:
        consumer.close()
    return arrivals, states


def prepare_topics(settings: Settings) -> None:
    specs = build_specs(settings)
    ensure_topics(create_admin(settings), [specs[name] for name in TOPICS])


def noop_throughput(bootstrap: str, count: int, definition: dict[str, Any]) -> dict[str, Any]:
    settings = settings_for(bootstrap)
    prepare_topics(settings)
    produce(settings, [task(definition) for _ in range(count)])
    worker = WorkerProcess.start(settings)
    try:
        arrivals, states = collect(settings, count, timeout_s=300)
    finally:
        worker.stop()
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    return {"count": len(arrivals), "states": states, "rate": (len(arrivals) - 1) / span, "peak_rss": worker.peak_rss}


def held_sleeps(bootstrap: str, count: int) -> dict[str, Any]:
    settings = settings_for(bootstrap, async_concurrency=count)
    prepare_topics(settings)
    worker = WorkerProcess.start(settings)
    try:
        started = time.monotonic()
        produce(settings, [task({"id": "nap", "type": "io.kestra.plugin.core.flow.Sleep", "duration": "PT5S"}) for _ in range(count)])
        arrivals, states = collect(settings, count, timeout_s=120)
    finally:
        worker.stop()
    return {
        "count": count, "done": len(arrivals), "states": states, "peak_running": worker.peak_running,
        "last_result_s": arrivals[-1] - started if arrivals else float("nan"),
        "baseline_rss": worker.baseline_rss, "peak_rss": worker.peak_rss,
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--noop", type=int, default=20_000)
    parser.add_argument("--sleeps", default="1000,5000")
    parser.add_argument("--write", metavar="RESULTS_MD")
    args = parser.parse_args()
    mib = 1024 * 1024

    rows = []
    for label, definition in (
        ("OutputValues (thread pool)", {"id": "noop", "type": "OutputValues", "values": {"n": 1}}),
        ("Sleep PT0S (asyncio lane)", {"id": "noop", "type": "Sleep", "duration": "PT0S"}),
    ):
        figures = noop_throughput(args.bootstrap, args.noop, definition)
        print(f"no-op {label}: {figures['rate']:,.0f} tasks/s ({figures['count']} results, {figures['states']})", flush=True)
        rows.append(f"| {label} | {figures['count']:,} | {figures['rate']:,.0f} | {figures['peak_rss'] / mib:,.0f} MiB |")

    sleep_rows = []
    for count in (int(n) for n in args.sleeps.split(",")):
        figures = held_sleeps(args.bootstrap, count)
        print(f"sleeps {count}: held {figures['peak_running']}, last result after {figures['last_result_s']:.1f}s, "
              f"peak RSS {figures['peak_rss'] / mib:.0f} MiB, {figures['states']}", flush=True)
        sleep_rows.append(
            f"| {count:,} | {figures['peak_running']:,} | {figures['done']:,} ({', '.join(f'{k} {v}' for k, v in figures['states'].items())}) "
            f"| {figures['last_result_s']:.1f} s | {figures['baseline_rss'] / mib:,.0f} MiB | {figures['peak_rss'] / mib:,.0f} MiB |"
        )

    body = "\n".join([
        "One worker process (default `threads`: 8 x CPU), 4-partition topics, results read by a separate process.",
        "",
        "| no-op task | tasks | tasks/s (first to last result) | worker peak RSS |",
        "|---|---|---|---|",
        *rows,
        "",
        "Concurrent `Sleep PT5S` tasks sent at once, `async-concurrency` = N:",
        "",
        "| N | held at once (peak) | results | last result after | worker RSS idle | worker peak RSS |",
        "|---|---|---|---|---|---|",
        *sleep_rows,
    ])
    print(body)
    if args.write:
        command = "python -m benchmarks.worker_bench " + " ".join(sys.argv[1:])
        write_section(args.write, "Worker", command.strip(), body)


if __name__ == "__main__":
    main()
