"""Scheduler start-up and tick cost with many flows and triggers.

  1. start-up (warm): N flows (one Schedule each) on ``flows`` and the N trigger states a
     previous run left on ``triggers``; restore the states, read the flows, reconcile, build
     the heap. A restart: the progress records hold the flows checkpoint, so no flow record
     is read again. No checkpoint (states written before checkpoints existed, or one older
     than half the flows tombstone retention): every flow record is read and its revision
     checked. Measured in memory (decode + maps + heap) and, with --kafka, through the broker
     from scheduler construction until every partition runs.
  2. start-up (cold): first sight of a flow revision means parsing its YAML; measured per
     flow on a sample and scaled to N.
  3. a tick when nothing is due, with 1,000 and N triggers over 8 partitions (the runtime's
     evaluate phase: every partition's heap is checked).
  4. a tick when 1,000 triggers are due (cost per firing).

Usage: python -m benchmarks.scheduler_bench [--triggers 100000] [--kafka] [--bootstrap HOST:PORT]
       [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid
import zlib
from datetime import datetime, timedelta, timezone

from benchmarks.results import write_section
from harrier.core.messages import FlowRecord
from harrier.core.validation import parse_flow
from harrier.gcpause import paused_gc
from harrier.scheduler.partition import PartitionStatus, TriggerPartition
from harrier.scheduler.runtime import FLOWS_CHECKPOINT_MAX_AGE
from harrier.scheduler.state import PROGRESS_SERDE, TRIGGER_STATE_SERDE, Progress, TriggerState, progress_key
from harrier.topics.records import FLOW_RECORD

PARTITIONS = 8
NOW = datetime(2026, 1, 1, 12, 0, 30, tzinfo=timezone.utc)
SOURCE = """id: {flow_id}
namespace: bench.team{team}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "hello {{{{ trigger.date }}}}"
triggers:
  - id: schedule
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "{minute} * * * *"
"""

Records = dict[int, list[tuple[str, bytes | None]]]


def _partition_of(key: str) -> int:
    # librdkafka's default partitioner for keyed records (consistent_random: CRC32).
    return zlib.crc32(key.encode()) % PARTITIONS


def build_records(count: int) -> tuple[Records, Records]:
    """The flows records and the triggers records a previous run wrote, by partition."""
    declaration = parse_flow(SOURCE.format(flow_id="x", team=0, minute=0)).triggers[0].model_dump(
        mode="json", by_alias=True, exclude_none=True, warnings=False)
    flows: Records = {p: [] for p in range(PARTITIONS)}
    triggers: Records = {p: [] for p in range(PARTITIONS)}
    for i in range(count):
        namespace, flow_id, minute = f"bench.team{i % 100}", f"flow-{i}", i % 60
        uid = f"{namespace}/{flow_id}"
        p = _partition_of(uid)
        record = FlowRecord(namespace=namespace, id=flow_id, revision=1,
                            source=SOURCE.format(flow_id=flow_id, team=i % 100, minute=minute))
        flows[p].append((uid, FLOW_RECORD.encode(record)))
        state = TriggerState(
            uid=f"{uid}/schedule", namespace=namespace, flow_id=flow_id, trigger_id="schedule", type="Schedule",
            revision=1, declaration={**declaration, "cron": f"{minute} * * * *"},
            next_date=NOW.replace(minute=0, second=0) + timedelta(hours=1, minutes=minute), updated_at=NOW)
        triggers[p].append((state.uid, TRIGGER_STATE_SERDE.encode(state)))
    return flows, triggers


def start_up(flows: Records, triggers: Records) -> tuple[float, float, list[TriggerPartition]]:
    """Wall and CPU seconds to restore, read flows (those past the checkpoint when the
    progress records hold one), reconcile and heapify every partition."""
    started, cpu = time.perf_counter(), time.process_time()
    parts = []
    for p in range(PARTITIONS):
        part = TriggerPartition(p, tolerance=timedelta(seconds=2))
        with paused_gc():  # as the runtime restores
            for key, raw in triggers[p]:
                part.restore(key, raw)
        resume = part.flows_resume_offset(NOW, FLOWS_CHECKPOINT_MAX_AGE)
        for key, raw in flows[p][resume or 0:]:
            part.stage_flow(key, raw)
        part.start(NOW)
        parts.append(part)
    return time.perf_counter() - started, time.process_time() - cpu, parts


def cold_per_flow(sample: int = 500) -> float:
    """CPU seconds per flow seen for the first time (YAML parsing, first next date)."""
    flows = {0: [(f"bench.team0/cold-{i}", FLOW_RECORD.encode(FlowRecord(
        namespace="bench.team0", id=f"cold-{i}", revision=1, source=SOURCE.format(flow_id=f"cold-{i}", team=0, minute=i % 60))))
        for i in range(sample)]}
    part = TriggerPartition(0, tolerance=timedelta(seconds=2))
    started = time.process_time()
    for key, raw in flows[0]:
        part.stage_flow(key, raw)
    part.start(NOW)
    return (time.process_time() - started) / sample


def tick_nothing_due(parts: list[TriggerPartition], rounds: int = 2000) -> list[float]:
    """Durations of the evaluate phase (every partition checked) when nothing is due."""
    samples = []
    for i in range(rounds):
        now = NOW + timedelta(microseconds=i)
        started = time.perf_counter()
        at = now.timestamp()
        for part in parts:
            due = part.next_due()
            if due is not None and due <= at:
                part.tick(now)
        samples.append(time.perf_counter() - started)
    assert all(not part.drain(with_progress=False)[0] for part in parts), "something fired: the tick was not idle"
    return samples


def tick_due(parts: list[TriggerPartition], due: int) -> float:
    """Seconds for one evaluate phase that fires ``due`` triggers (plus encoding their records)."""
    dues = sorted(d for part in parts for uid in part.states if (d := part.heap.due_at(uid)) is not None)
    now = datetime.fromtimestamp(dues[due - 1], timezone.utc) + timedelta(milliseconds=1)
    started = time.perf_counter()
    fired = 0
    for part in parts:
        if (first := part.next_due()) is not None and first <= now.timestamp():
            part.tick(now)
        executions, _ = part.drain(with_progress=False)
        fired += len(executions)
    elapsed = time.perf_counter() - started
    assert fired >= due, f"{fired} fired, expected {due}"
    return elapsed / fired


def with_checkpoints(flows: Records, triggers: Records) -> Records:
    """``triggers`` plus the progress record a previous run leaves per partition: every flow
    record on the (fresh) ``flows`` topic is reflected in the states."""
    return {p: [*items, (progress_key(p), PROGRESS_SERDE.encode(Progress(
        offsets={}, flows_offset=len(flows[p]), written_at=NOW)))] for p, items in triggers.items()}


def kafka_start_up(bootstrap: str, flows: Records, triggers: Records) -> float:
    """Seconds from constructing a Scheduler until all its partitions run."""
    from harrier.config.settings import Settings
    from harrier.scheduler.clock import ManualClock
    from harrier.scheduler.runtime import Scheduler
    from harrier.topics.admin import ensure_topics
    from harrier.topics.clients import create_admin, create_producer
    from harrier.topics.specs import build_specs, topic_name

    settings = Settings.model_validate({
        "kafka": {"bootstrap-servers": bootstrap},
        "topics": {"prefix": f"bench-{uuid.uuid4().hex[:8]}.", "partitions": PARTITIONS},
    })
    admin = create_admin(settings)
    ensure_topics(admin, build_specs(settings).values())
    producer = create_producer(settings, "bench")
    for logical, records in (("flows", flows), ("triggers", triggers)):
        topic = topic_name(settings, logical)
        for p, items in records.items():
            for key, raw in items:
                while True:
                    try:
                        producer.produce(topic, raw, key=key.encode(), partition=p)
                        break
                    except BufferError:
                        producer.poll(0.05)
                producer.poll(0)
    producer.flush(60)
    try:
        started = time.perf_counter()
        scheduler = Scheduler(settings, clock=ManualClock(NOW), instance_id="bench")
        stop = threading.Event()
        thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
        thread.start()
        while True:
            parts = list(scheduler.partitions.values())
            if len(parts) == PARTITIONS and all(p.status is PartitionStatus.RUNNING for p in parts):
                break
            time.sleep(0.002)
        elapsed = time.perf_counter() - started
        stop.set()
        thread.join(30)
        return elapsed
    finally:
        ours = [t for t in admin.list_topics(timeout=10).topics if t.startswith(settings.topics.prefix)]
        for future in admin.delete_topics(ours, operation_timeout=30).values():
            future.result()


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"{statistics.median(ordered) * 1e3:.4f} ms / {p99 * 1e3:.4f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=100_000)
    parser.add_argument("--kafka", action="store_true", help="also measure start-up through the broker")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--repeat", type=int, default=3, help="restarts through the broker to take the median of")
    parser.add_argument("--write", default=None, help="results file to update (benchmarks/RESULTS.md)")
    args = parser.parse_args()
    n = args.triggers
    load = os.getloadavg()[0]

    flows, triggers = build_records(n)
    warm, warm_cpu, parts = start_up(flows, with_checkpoints(flows, triggers))
    print(f"start-up (warm, in memory), restart, {n:,} flows + triggers: {warm:.3f} s wall, {warm_cpu:.3f} s CPU")
    full, full_cpu, _ = start_up(flows, triggers)
    print(f"start-up (warm, in memory), no checkpoint: {full:.3f} s wall, {full_cpu:.3f} s CPU")
    cold = cold_per_flow()
    print(f"start-up (cold): {cold * 1e6:.0f} us per new flow revision -> {cold * n:.1f} s for {n:,}")
    small_flows, small_triggers = build_records(1000)
    _, _, small_parts = start_up(small_flows, small_triggers)
    idle_small = tick_nothing_due(small_parts)
    idle_large = tick_nothing_due(parts)
    print(f"tick, nothing due, 1,000 triggers: p50 / p99 = {_ms(idle_small)}")
    print(f"tick, nothing due, {n:,} triggers: p50 / p99 = {_ms(idle_large)}")
    per_fire = tick_due(parts, 1000)
    print(f"tick firing 1,000 due triggers: {per_fire * 1e6:.0f} us per firing")
    rows = [
        "| measure | result | goal |",
        "|---|---|---|",
        f"| start-up, {n:,} flows + triggers (warm: states on `triggers`), a restart, in memory | {warm:.2f} s wall, {warm_cpu:.2f} s CPU | <= 2 s |",
        f"| same, no checkpoint (every flow record read, its revision checked), in memory | {full:.2f} s wall, {full_cpu:.2f} s CPU | - |",
    ]
    if args.kafka:
        checkpointed = with_checkpoints(flows, triggers)
        runs = sorted(kafka_start_up(args.bootstrap, flows, checkpointed) for _ in range(args.repeat))
        resumed = statistics.median(runs)
        print(f"start-up through Kafka, restart (flows read from the checkpoint): all {PARTITIONS} partitions running "
              f"{resumed:.2f} s (median of {len(runs)}: {', '.join(f'{r:.2f}' for r in runs)})")
        full = kafka_start_up(args.bootstrap, flows, triggers)
        print(f"start-up through Kafka, no checkpoint (every flow record read): {full:.2f} s")
        rows.append(f"| same, through the broker, a restart: scheduler constructed -> {PARTITIONS} partitions running "
                    f"(group join, producers fenced, states read; flows read from the checkpoint, none new) "
                    f"| {resumed:.2f} s (median of {len(runs)}: {', '.join(f'{r:.2f}' for r in runs)}) | <= 2 s |")
        rows.append(f"| same, through the broker, no checkpoint (first start on older states): every flow record "
                    f"read and its revision checked | {full:.2f} s | - |")
    rows += [
        f"| start-up, cold (every flow revision new: YAML parse + first next date) | {cold * 1e6:.0f} us per flow, {cold * n:.1f} s for {n:,} | - |",
        f"| tick, nothing due, 1,000 triggers (p50 / p99) | {_ms(idle_small)} | <= 1 ms |",
        f"| tick, nothing due, {n:,} triggers (p50 / p99) | {_ms(idle_large)} | <= 10 ms |",
        f"| tick firing 1,000 due Schedule triggers | {per_fire * 1e6:.0f} us per firing | - |",
    ]
    if args.write:
        command = "python -m benchmarks.scheduler_bench " + " ".join(
            a for a in (f"--triggers {n}", f"--kafka --repeat {args.repeat}" if args.kafka else "",
                        f"--write {args.write}") if a)
        body = "\n".join(rows) + (
            f"\n\nLoad average when started: {load:.1f} on {os.cpu_count()} cores (the machine is shared; CPU "
            "time is the scheduler's own work, wall time includes waiting for a core). "
            f"{PARTITIONS} partitions, one Schedule per flow. A tick checks the top of each partition's heap, "
            "so its cost does not grow with the trigger count. Warm start-up reads the states back from "
            "`triggers` and parses no YAML; a flow is parsed only when its revision is new to the scheduler. "
            "A restart reads `flows` from the checkpoint in each partition's progress record, so no flow "
            "record is read again; without one (or with one older than half the tombstone retention) every "
            "flow record is read. Through the broker the restart can beat the in-memory figure: the "
            "scheduling summary is read from each record as it arrives, fresh in the CPU cache, while the "
            "in-memory run reads 47 MB of records built long before.\n\n"
            "Before the checkpoint and the restore changes of 2026-12-02 (run 2026-11-25): 2.04 s in memory and "
            "3.11 s through the broker, every flow record read on each start; summaries read at start (0.9 s "
            "of the 3.11 s), five full GC collections during the build (0.5 s), and the producers' inits "
            "(0.5 s for a new client's first) before the restore instead of beside it.")
        write_section(args.write, "Scheduler", command, body)


if __name__ == "__main__":
    main()
