"""Indexer figures: log lines/s end to end, and list-executions query time at scale.

1. Log throughput: an indexer runs (its own process, as in production) on fresh topics; one
   task thread logs N lines as fast as it can through the worker's own `TaskLogger` and
   `Outbox`, while the main thread plays the worker loop (ship the buffered lines, a
   `LogBatch` per task run, every 20 ms). The clock stops when Elasticsearch holds all N
   lines. Lines/s = N / elapsed.
2. List-executions: M execution documents bulk-loaded into the executions index, then the
   webserver's list query (filters, sort, page, capped total) timed over many calls.
3. faust-streaming against the plain confluent-kafka batching consumer: both read and decode
   the same pre-produced log records in batches of 5,000 (no Elasticsearch), faust as a real
   worker process with `stream.take(5000, within=0.5)`. The topic is uncompressed, because
   aiokafka (under faust) cannot read Harrier's lz4 topics without the extra `lz4` package.

Usage: python -m benchmarks.indexer_bench [--lines 100000] [--executions 200000]
       [--bootstrap 127.0.0.1:9092] [--es http://127.0.0.1:9200] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import orjson
from elasticsearch import Elasticsearch

from benchmarks.results import write_section
from harrier.config import Settings
from harrier.core.logbatches import MAX_BATCH_LINES, batch_lines
from harrier.core.messages import LogBatch, LogEntry, WorkerTask
from harrier.core.tasks.base import LogLevel
from harrier.indexer.actions import Action
from harrier.indexer.bulk import BulkShipper
from harrier.indexer.documents import DocumentBuilder, execution_document
from harrier.indexer.indices import IndexNames
from harrier.indexer.queries import ExecutionFilter, HistoryQueries
from harrier.indexer.runner import run_indexer
from harrier.indexer.templates import install_templates
from harrier.topics import build_specs, create_admin, create_producer, ensure_topics
from harrier.topics.records import LOG_BATCH
from harrier.topics.serdes import encode_key
from harrier.topics.specs import TopicSpec
from harrier.worker.logs import TaskLogger
from harrier.worker.outbox import Outbox, Topics

# How often the emitter's loop ships buffered lines, as the worker loop does between polls.
FLUSH_S = 0.02
STATES = ("SUCCESS", "SUCCESS", "SUCCESS", "FAILED", "RUNNING", "WARNING", "KILLED")


def bench_settings(bootstrap: str, es_url: str, batch_size: int) -> Settings:
    run = uuid.uuid4().hex[:8]
    return Settings.model_validate({
        "kafka": {"bootstrap-servers": bootstrap},
        "topics": {"prefix": f"bench-{run}.", "partitions": 4},
        "elasticsearch": {"hosts": [es_url], "index-prefix": f"bench-{run}-"},
        "indexer": {"batch-size": batch_size, "flush-interval-ms": 200, "batch-bytes": 5242880},
    })


def _indexer_process(settings_json: bytes, stop: multiprocessing.synchronize.Event) -> None:
    import threading

    settings = Settings.model_validate_json(settings_json)
    local = threading.Event()
    threading.Thread(target=lambda: (stop.wait(), local.set()), daemon=True).start()
    run_indexer(settings, local)


def log_throughput(settings: Settings, lines: int) -> dict[str, float]:
    """Log `lines` lines from one task and wait until all are searchable; return the rates."""
    ensure_topics(create_admin(settings), build_specs(settings).values())
    es = Elasticsearch(settings.elasticsearch.hosts)
    names = IndexNames(settings.elasticsearch.index_prefix)
    stop = multiprocessing.Event()
    indexer = multiprocessing.Process(
        target=_indexer_process, args=(settings.model_dump_json(by_alias=True).encode(), stop)
    )
    indexer.start()
    producer = create_producer(settings, "bench-logs", {"linger.ms": 20, "batch.size": 1_000_000})
    outbox = Outbox(producer, Topics(settings.topics.prefix))
    # Warm-up: the indexer joins its group and indexes one line before the clock starts.
    _emit(outbox, 1, "warmup")
    _wait_count(es, names, 1, timeout_s=120)
    cpu = (_es_cpu_s(es), _process_cpu_s(indexer.pid), time.process_time(), _broker_cpu_s())  # type: ignore[arg-type]
    started = time.perf_counter()
    _emit(outbox, lines, "run")
    produced = time.perf_counter() - started
    _wait_count(es, names, lines + 1, timeout_s=600)
    elapsed = time.perf_counter() - started
    es_cpu, indexer_cpu = _es_cpu_s(es) - cpu[0], _process_cpu_s(indexer.pid) - cpu[1]  # type: ignore[arg-type]
    emitter_cpu = time.process_time() - cpu[2]
    broker_cpu = _broker_cpu_s() - cpu[3]
    stop.set()
    indexer.join(30)
    _drop_indices(es, names)
    return {"lines": lines, "produce_s": produced, "elapsed_s": elapsed, "lines_per_s": lines / elapsed,
            "es_cpu_s": es_cpu, "indexer_cpu_s": indexer_cpu, "emitter_cpu_s": emitter_cpu, "broker_cpu_s": broker_cpu}


def _emit(outbox: Outbox, lines: int, tag: str) -> None:
    """One task thread logs `lines` lines; this thread ships them as the worker loop does."""
    task_logger = TaskLogger(_record(tag), None, outbox.logs.add)
    done = threading.Event()

    def task() -> None:
        for n in range(lines):
            task_logger.info(f"line {n} of the benchmark emitter task")
        done.set()

    thread = threading.Thread(target=task)
    thread.start()
    while not done.is_set():
        outbox.flush_telemetry()
        outbox.poll(FLUSH_S)
    thread.join()
    outbox.flush(60)


def _record(tag: str) -> WorkerTask:
    return WorkerTask(
        execution_id=f"{tag}-{uuid.uuid4().hex[:8]}", task_run_id=f"{tag}-emit", task_id="emit", attempt=1,
        namespace="bench.logs", flow_id="emitter", flow_revision=1, task={"id": "emit", "type": "Log"},
        created_at=datetime.now(timezone.utc),
    )


def _es_cpu_s(es: Elasticsearch) -> float:
    """CPU seconds the Elasticsearch node's process has used so far: from /proc when the node
    runs here (its own stats are cached for a second, too coarse for a one-second run)."""
    pids = [node["process"]["id"] for node in es.nodes.info(metric="process")["nodes"].values()]
    if all(os.path.exists(f"/proc/{pid}/stat") for pid in pids):
        return sum(_process_cpu_s(pid) for pid in pids)
    nodes = es.nodes.stats(metric="process")["nodes"]
    return sum(node["process"]["cpu"]["total_in_millis"] for node in nodes.values()) / 1000


def _broker_cpu_s() -> float:
    """CPU seconds of the Kafka brokers running on this machine (0 when there are none)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if b"kafka.Kafka" not in cmdline.read():
                    continue
            total += _process_cpu_s(int(entry))
        except OSError:
            continue
    return total


def _process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a local process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drop_indices(es: Elasticsearch, names: IndexNames) -> None:
    """Delete every index the run created (the daily logs, executions and flows)."""
    es.options(ignore_status=404).indices.delete(index=f"{names.prefix}*")


def elasticsearch_alone(settings: Settings, lines: int, batch: int) -> dict[str, float]:
    """Lines/s Elasticsearch indexes the same log batches at with nothing else running: the
    documents are built before the clock starts, then sent two bulk requests of about `batch`
    lines at a time (the node has two write threads) until all are searchable."""
    es = Elasticsearch(settings.elasticsearch.hosts, request_timeout=120)
    names = IndexNames(settings.elasticsearch.index_prefix)
    install_templates(es, names)
    topic = settings.topics.prefix + "logs"
    builder = DocumentBuilder(names, {topic: "logs"})
    record = _record("alone")
    now = datetime.now(timezone.utc)
    batches = batch_lines(
        (record, now + timedelta(microseconds=n), LogLevel.INFO, f"line {n} of the benchmark emitter task")
        for n in range(lines)
    )
    actions = [builder.build(topic, n % 4, n, None, LOG_BATCH.encode(b), 0) for n, b in enumerate(batches)]
    per_request = max(1, batch // MAX_BATCH_LINES)
    shipper = BulkShipper(es, timeout_s=120)
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        requests = [actions[i:i + per_request] for i in range(0, len(actions), per_request)]
        outcomes = list(pool.map(shipper.ship, requests))
    es.indices.refresh(index=names.pattern("logs"))
    elapsed = time.perf_counter() - started
    count = _lines_searchable(es, names)
    _drop_indices(es, names)
    if count != lines or not all(o.complete and not o.refused for o in outcomes):
        raise RuntimeError(f"{count} of {lines} lines indexed")
    return {"lines": lines, "documents": len(actions), "elapsed_s": elapsed, "lines_per_s": lines / elapsed}


def _lines_searchable(es: Elasticsearch, names: IndexNames) -> int:
    # 404/503 until the first daily index exists and its shard has started.
    response = es.options(ignore_status=(404, 503)).search(
        index=names.pattern("logs"), size=0, aggs={"lines": {"sum": {"field": "lines"}}}
    )
    return int(response.get("aggregations", {}).get("lines", {}).get("value", 0))


def _entry(n: int, tag: str, now: datetime) -> LogEntry:
    execution_id = f"{tag}-{n % 200:04d}"
    return LogEntry(
        execution_id=execution_id, namespace="bench.logs", flow_id="emitter", task_id="emit",
        task_run_id=f"{execution_id}-t", attempt=1, level=LogLevel.INFO,
        timestamp=now + timedelta(microseconds=n), message=f"line {n} of the benchmark emitter task",
    )


def _produce(producer, topic: str, count: int, tag: str) -> None:  # type: ignore[no-untyped-def]
    """One-line records, for the consumer comparison: the worst case, a record per line."""
    now = datetime.now(timezone.utc)
    for n in range(count):
        entry = _entry(n, tag, now)
        batch = LogBatch(**entry.model_dump(exclude={"timestamp", "level", "message"}),
                         timestamps=[entry.timestamp], levels=[entry.level], messages=[entry.message])
        while True:
            try:
                producer.produce(topic, LOG_BATCH.encode(batch), encode_key(entry.execution_id))
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)


def _wait_count(es: Elasticsearch, names: IndexNames, expected: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    count = 0
    while time.monotonic() < deadline:
        count = _lines_searchable(es, names)
        if count >= expected:
            return
        time.sleep(0.05)
    raise TimeoutError(f"only {count} of {expected} lines searchable after {timeout_s} s")


def list_executions(settings: Settings, count: int, calls: int) -> dict[str, float]:
    """Load `count` execution documents, then time the list query (p50/p99 over `calls`)."""
    es = Elasticsearch(settings.elasticsearch.hosts, request_timeout=120)
    names = IndexNames(settings.elasticsearch.index_prefix)
    install_templates(es, names)
    shipper = BulkShipper(es, timeout_s=120)
    rng = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    loaded = time.perf_counter()
    for first in range(0, count, 5000):
        actions = []
        for n in range(first, min(first + 5000, count)):
            started = base + timedelta(seconds=n * 7)
            snapshot = {
                "id": f"exec-{n:07d}", "namespace": f"bench.team{n % 10}", "flow_id": f"flow-{n % 50}",
                "flow_revision": 1, "state": rng.choice(STATES), "history": [],
                "labels": {"env": rng.choice(("prod", "dev")), "owner": f"o{n % 20}"},
                "created_at": started.isoformat(), "ended_at": (started + timedelta(seconds=3)).isoformat(),
                "inputs": {"n": n}, "task_runs": [],
            }
            document = execution_document(snapshot, snapshot["id"], 0)
            actions.append(Action(names.executions, snapshot["id"], orjson.dumps(document), 1))
        outcome = shipper.ship(actions)
        if not outcome.complete or outcome.refused:
            raise RuntimeError(f"bulk load failed: {outcome}")
    es.indices.refresh(index=names.executions)
    load_s = time.perf_counter() - loaded
    queries = HistoryQueries(es, names)
    shapes = {
        "no filter": ExecutionFilter(),
        "namespace + state": ExecutionFilter(namespace="bench.team3", states=("FAILED",)),
        "flow + label + 30-day range": ExecutionFilter(
            flow_id="flow-7", labels={"env": "prod"}, start=base, end=base + timedelta(days=30)
        ),
    }
    figures: dict[str, float] = {"executions": count, "load_s": load_s}
    for shape, where in shapes.items():
        samples = []
        for call in range(calls):
            page = 1 + call % 5
            t0 = time.perf_counter()
            result = queries.executions(where, page=page, size=25)
            samples.append(time.perf_counter() - t0)
        figures[f"{shape} p50_ms"] = statistics.median(samples) * 1000
        figures[f"{shape} p99_ms"] = sorted(samples)[int(calls * 0.99) - 1] * 1000
        figures[f"{shape} total"] = result.total.value
        figures[f"{shape} exact"] = result.total.exact
    _drop_indices(es, names)
    return figures


_FAUST_WORKER = """
import sys, time, orjson, faust
topic_name, total, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = faust.App("harrier-faust-probe", broker="kafka://" + sys.argv[4], store="memory://",
                topic_disable_leader=True, web_enabled=False, consumer_auto_offset_reset="earliest",
                datadir=out + ".data")
topic = app.topic(topic_name, value_type=bytes, value_serializer="raw", key_serializer="raw")
state = {"n": 0, "t0": None}

@app.agent(topic)
async def decode(stream):
    async for batch in stream.take(5000, within=0.5):
        state["t0"] = state["t0"] or time.perf_counter()
        for value in batch:
            orjson.loads(value)
        state["n"] += len(batch)
        if state["n"] == total:
            with open(out, "w") as f:
                f.write(str(time.perf_counter() - state["t0"]))

sys.argv = [sys.argv[0], "worker", "-l", "warn"]
app.main()
"""


def faust_versus_confluent(bootstrap: str, records: int) -> dict[str, float]:
    """Records/s read and decoded in batches of 5,000 by faust-streaming and by confluent-kafka."""
    from confluent_kafka import Consumer

    run = uuid.uuid4().hex[:8]
    settings = Settings.model_validate({"kafka": {"bootstrap-servers": bootstrap}})
    topic = f"bench-{run}.faust-probe"
    spec = TopicSpec("logs", topic, 4, 1, "delete", 3_600_000, 2**20, "producer")
    ensure_topics(create_admin(settings), [spec])
    producer = create_producer(settings, "bench-faust", {"linger.ms": 20, "compression.type": "none"})
    _produce(producer, topic, records, "faust")

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{run}-ck",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen, started = 0, 0.0
    while seen < records:
        batch = consumer.consume(5000, 0.5)
        if batch and not started:
            started = time.perf_counter()
        for record in batch:
            orjson.loads(record.value())  # type: ignore[arg-type]
        seen += len(batch)
    confluent_s = time.perf_counter() - started
    consumer.close()

    out = f"/tmp/harrier-faust-probe-{run}"
    worker = subprocess.Popen([sys.executable, "-c", _FAUST_WORKER, topic, str(records), out, bootstrap],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while not (os.path.exists(out) and os.path.getsize(out)) and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"the faust worker exited with {worker.returncode}")
            time.sleep(0.5)
        with open(out) as result:
            faust_s = float(result.read())
    finally:
        worker.terminate()
        worker.wait(30)
    return {"records": records, "confluent_per_s": records / confluent_s, "faust_per_s": records / faust_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--es", default="http://127.0.0.1:9200")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--executions", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--faust-records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5, help="log throughput runs (the box is shared)")
    parser.add_argument("--write", metavar="RESULTS_MD")
    args = parser.parse_args()

    runs = []
    for _ in range(args.repeat):
        logs = log_throughput(bench_settings(args.bootstrap, args.es, args.batch_size), args.lines)
        print(f"logs: {logs['lines']:,} lines searchable in {logs['elapsed_s']:.2f} s "
              f"(produced in {logs['produce_s']:.2f} s): {logs['lines_per_s']:,.0f} lines/s; CPU s: "
              f"Elasticsearch {logs['es_cpu_s']:.2f}, indexer {logs['indexer_cpu_s']:.2f}, emitter {logs['emitter_cpu_s']:.2f}, "
              f"broker {logs['broker_cpu_s']:.2f}")
        runs.append(logs)
    alone = elasticsearch_alone(bench_settings(args.bootstrap, args.es, args.batch_size), args.lines, args.batch_size)
    print(f"Elasticsearch alone: {alone['lines_per_s']:,.0f} lines/s in {alone['documents']:,} documents")
    listing = list_executions(bench_settings(args.bootstrap, args.es, args.batch_size), args.executions, args.calls)
    for key, value in listing.items():
        print(f"executions: {key}: {value:,.2f}" if isinstance(value, float) else f"executions: {key}: {value}")
    faust = faust_versus_confluent(args.bootstrap, args.faust_records)
    print(f"consumer only: confluent-kafka {faust['confluent_per_s']:,.0f}/s, faust-streaming {faust['faust_per_s']:,.0f}/s")
    if args.write:
        write_section(args.write, "Indexer", _command(args), _body(args, runs, alone, listing, faust))


def _command(args: argparse.Namespace) -> str:
    return (f"python -m benchmarks.indexer_bench --lines {args.lines} --batch-size {args.batch_size} "
            f"--repeat {args.repeat} --executions {args.executions} --calls {args.calls} "
            f"--faust-records {args.faust_records} "
            f"--write {args.write}")


def _body(args: argparse.Namespace, runs: list[dict[str, float]], alone: dict[str, float],
          listing: dict[str, float], faust: dict[str, float]) -> str:
    rows = [
        "| log lines, end to end (one task logs them -> searchable), indexer process, "
        f"batch {args.batch_size:,}, 4 partitions | lines | seconds | lines/s "
        "| CPU s: Elasticsearch / indexer / emitter / broker |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| run {n} | {int(logs['lines']):,} | {logs['elapsed_s']:.2f} | {logs['lines_per_s']:,.0f} "
        f"| {logs['es_cpu_s']:.2f} / {logs['indexer_cpu_s']:.2f} / {logs['emitter_cpu_s']:.2f} / {logs['broker_cpu_s']:.2f} |"
        for n, logs in enumerate(runs, 1)
    ]
    median = statistics.median(run["lines_per_s"] for run in runs)
    met = "Met" if median >= 100_000 else "Not met"
    rows += [
        f"| Elasticsearch alone: the same lines as {int(alone['documents']):,} batch documents built beforehand, "
        f"2 bulk requests of about {args.batch_size:,} lines in flight, until searchable | {int(alone['lines']):,} "
        f"| {alone['elapsed_s']:.2f} | {alone['lines_per_s']:,.0f} | - |",
        "",
        f"Goal: >= 100,000 lines/s end to end. {met}: median {median:,.0f} lines/s over {len(runs)} runs. "
        "The lines travel as the worker ships them, a `LogBatch` record of up to 2,000 lines per task run "
        "per flush, and each record is one Elasticsearch document. Per line, end to end: "
        f"{_mean(runs, 'es_cpu_s') * 1e6 / args.lines:.1f} us of Elasticsearch CPU, "
        f"{_mean(runs, 'indexer_cpu_s') * 1e6 / args.lines:.1f} us of indexer CPU, "
        f"{_mean(runs, 'emitter_cpu_s') * 1e6 / args.lines:.1f} us of emitter CPU (the task's logger and the "
        f"worker's outbox) and {_mean(runs, 'broker_cpu_s') * 1e6 / args.lines:.1f} us of broker CPU, on two cores.",
    ]
    rows += [
        "",
        f"List executions, {int(listing['executions']):,} documents (bulk-loaded in {listing['load_s']:.1f} s), "
        f"page size 25, pages 1-5, {args.calls} calls each:",
        "",
        "| filter | p50 | p99 | total reported |",
        "|---|---|---|---|",
    ]
    for shape in ("no filter", "namespace + state", "flow + label + 30-day range"):
        exact = "" if listing[f"{shape} exact"] else "+ (capped)"
        rows.append(f"| {shape} | {listing[f'{shape} p50_ms']:.1f} ms | {listing[f'{shape} p99_ms']:.1f} ms | "
                    f"{int(listing[f'{shape} total']):,}{exact} |")
    rows += [
        "",
        f"Consumer alone (read + decode {int(faust['records']):,} one-line log records in batches of 5,000, "
        "no Elasticsearch; a record per line is the worst case, many tasks logging slowly):",
        "",
        "| consumer | records/s |",
        "|---|---|",
        f"| confluent-kafka `consume(5000)` | {faust['confluent_per_s']:,.0f} |",
        f"| faust-streaming 0.15.3 `stream.take(5000, within=0.5)` | {faust['faust_per_s']:,.0f} |",
    ]
    return "\n".join(rows)


def _mean(runs: list[dict[str, float]], key: str) -> float:
    return statistics.mean(run[key] for run in runs)


if __name__ == "__main__":
    main()
