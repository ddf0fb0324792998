"""One chaos scenario from set-up to audit.

The run gets its own topic prefix and index prefix, so runs never see each other's records.
Components start as separate ``harrier server`` processes; a warm-up execution proves they
are up before the load starts; the fault schedule runs beside the load; the run then waits
until every accepted execution has ended (or the drain time is up) and audits.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import yaml
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from elasticsearch import Elasticsearch

from harrier.config.loader import load_settings
from harrier.core.messages import CreateExecution, FlowRecord
from harrier.indexer.indices import IndexNames
from harrier.infra.elasticsearch import ElasticsearchNode
from harrier.infra.kafka import KafkaCluster
from harrier.infra.stack import Stack
from harrier.topics import build_specs, create_admin, ensure_topics, largest_message_bytes, read_dead_letter
from harrier.topics.records import FLOW_RECORD, encode_command
from harrier.topics.serdes import encode_key
from tests.chaos.audit import TERMINAL, Audit, audit_followers, audit_requests, audit_run, read_topic
from tests.chaos.components import Components
from tests.chaos.diskfull import SmallDisk, mounted
from tests.chaos.faults import Scenario
from tests.chaos.flows import (
    BAD_TRANSMIT,
    CHILD,
    CRON,
    FAILING_CHILD,
    HOOKED,
    INVALID,
    MIXED,
    NAMESPACE,
    SECRET_ENV,
    SECRET_VALUE,
    TASK_RUNS_PER_EXECUTION,
    WEBHOOK_KEY,
)
from tests.chaos.followers import Followers
from tests.chaos.load import Load
from tests.chaos.webload import REQUEST_LABEL, WebLoad

__all__ = ["FULL", "QUICK", "Faults", "Size", "run_scenario", "run_scenarios"]

# Where a run's own broker (cluster) listens, apart from the session's: 19092 (one broker)
# and 19192 (three) beside the default 9092, shifted by a tenth of the session's offset from
# it, so sessions on 9192, 9292, ... (HARRIER_KAFKA_PORT) run their own brokers side by side.
_OWN_KAFKA_PORTS = {1: 19092, 3: 19192}


def _own_kafka_port(brokers: int) -> int:
    shift = (int(os.environ.get("HARRIER_KAFKA_PORT", 9092)) - 9092) // 10
    return _OWN_KAFKA_PORTS[brokers] + shift

# The runs' own brokers start (and restart, in broker-restart) on a machine busy with the
# other run: the client compiler alone starts a node in about 2/3 of the time (4.8 s against
# 7.0 s on an idle box) at a cost in peak speed these small loads never reach.
_QUICK_START = ("-XX:TieredStopAtLevel=1",)
_CRON_FLOWS = 4
# Below a topic's max.message.bytes: the record batch's own framing.
_RECORD_OVERHEAD_BYTES = 4096
# Where a record that cannot be decoded becomes a dead letter: topics read in a consumer group
# by the one component that owns them, the executor (executions, worker-results), the worker
# (worker-tasks) and the indexer (logs, metrics, flows, execution-states); and worker-controls,
# which every worker reads whole (one dead letter per worker; the poison run has one). Other
# readers of flows and execution-states (every executor process's flow table, the scheduler,
# the webserver) skip such a record with a log line, or one bad record would become one dead
# letter per reader.
DEAD_LETTERED_TOPICS = (
    "executions", "worker-results", "worker-tasks", "worker-controls", "logs", "metrics", "flows", "execution-states",
)
# Poisoned too, but only skipped with a log line: the scheduler's own store.
SKIPPED_TOPICS = ("triggers",)
# The poison run's creates, by flow, and what the error of each FAILED execution must say:
# a flow nobody deployed, one that bypassed validation, one whose step raises in the executor.
POISONED_FLOWS = {
    "no-such-flow": "flow chaos/no-such-flow not found",
    "invalid": "no test named 'wobbly'",
    "bad-transmit": "call.transmitFailed: in '{{ 1 // 0 }}': integer division or modulo by zero",
}


@dataclass(frozen=True)
class Size:
    """How big a run is."""

    executions: int
    rate: float
    outage_s: float
    drain_s: float


QUICK = Size(executions=100, rate=20.0, outage_s=10.0, drain_s=240.0)
FULL = Size(executions=2000, rate=12.0, outage_s=60.0, drain_s=900.0)


class Faults:
    """What a fault schedule can reach: the load, the components, the broker and Elasticsearch."""

    def __init__(self, run: _Run) -> None:
        self._run = run
        self.bootstrap = run.bootstrap
        self.prefix = run.prefix
        self.load = run.load
        self.components = run.components
        self.kafka = run.own_kafka
        self.elasticsearch = run.elasticsearch
        self.disk = run.disk
        self.followers = run.followers
        self.outage_s = run.size.outage_s
        self.notes: list[str] = []
        # Partitions of the run's topics with fewer in-sync replicas than replicas, once a
        # brought-back broker had its time to catch up (``wait_full_isr``).
        self.under_replicated = 0

    def wait_full_isr(self, timeout_s: float = 120.0) -> float:
        """Wait until every partition of the run's topics has all its replicas in sync; the
        seconds it took (``under_replicated`` says how many had not when time was up)."""
        started = time.monotonic()
        admin = AdminClient({"bootstrap.servers": self._run.bootstrap})
        while True:
            topics = admin.list_topics(timeout=10).topics
            self.under_replicated = sum(
                len(p.isrs) < len(p.replicas)
                for name in self._run.topics.values() for p in topics[name].partitions.values()
            )
            if self.under_replicated == 0 or time.monotonic() - started > timeout_s:
                return time.monotonic() - started
            time.sleep(1.0)

    def webserver_ready(self, timeout_s: float = 240.0) -> float:
        """Wait until the webserver answers ``/ready``; the seconds it took."""
        return self._run.webserver_ready(timeout_s)

    def at(self, share: float) -> None:
        """Wait until the load has sent ``share`` of its executions."""
        while len(self.load.sent) < share * self.load.total and not self.load.done():
            time.sleep(0.05)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def inject_poison(self) -> int:
        """Undecodable, wrong-version and wrong-schema records on every consumed topic."""
        return self._run.inject_poison()


class _Run:
    def __init__(self, scenario: Scenario, size: Size, bootstrap: str, es_url: str, work: Path) -> None:
        self.scenario = scenario
        self.size = size
        run_id = uuid.uuid4().hex[:8]
        self.prefix = f"chaos-{scenario.name}-{run_id}."
        self.index_prefix = f"chaos-{run_id}-"
        self.own_kafka: KafkaCluster | None = None
        self.disk: SmallDisk | None = None
        # What the run mounted (a small disk): taken down in ``close``, or here if set-up fails.
        self._mounts = ExitStack()
        if scenario.own_brokers:
            # A small-disk broker has ports of its own: it may run beside broker-restart's.
            # A session's one-broker slots (2 ports each) stay below the next session's ports.
            port = _own_kafka_port(scenario.own_brokers) + 2 * scenario.broker_slot
            self.own_kafka = KafkaCluster(Stack().home, port, scenario.own_brokers, java_options=_QUICK_START)
            try:
                if scenario.own_disk_mib:
                    data = self.own_kafka.nodes[0].home / "data"
                    self.disk = self._mounts.enter_context(mounted(data, scenario.own_disk_mib))
                self.own_kafka.up()
                # Earlier runs' topics would make every restart of this broker load them again.
                _delete_topics(self.own_kafka.bootstrap, "chaos-")
            except BaseException:
                self.own_kafka.kill()
                self._mounts.close()
                raise
            bootstrap = self.own_kafka.bootstrap
        self.bootstrap = bootstrap
        self.elasticsearch: ElasticsearchNode = Stack().elasticsearch
        self.es = Elasticsearch(es_url, request_timeout=30)
        self.work = work / f"{scenario.name}-{run_id}"
        self.work.mkdir(parents=True)
        self.webserver_port = _free_port() if scenario.webserver else None
        self.webserver_url = f"http://127.0.0.1:{self.webserver_port}"
        config = self.work / "harrier.yml"
        config.write_text(yaml.safe_dump(self._config(es_url)))
        self.settings = load_settings([config])
        self.topics = {name: self.prefix + name for name in build_specs(self.settings)}
        self.components = Components(config, self.work, SECRET_ENV)
        # A load too short to outlast a fault (a webserver restarts in seconds) is spread out.
        rate = min(size.rate, size.executions / scenario.min_load_s) if scenario.min_load_s else size.rate
        self.load: Load | WebLoad
        if scenario.webserver:
            self.load = WebLoad(self.webserver_url, NAMESPACE, "hooked", WEBHOOK_KEY, "mixed", size.executions, rate)
        else:
            self.load = Load(bootstrap, self.topics["executions"], NAMESPACE, "mixed", size.executions, rate)
        self.followers = (
            Followers(self.webserver_url, NAMESPACE, "mixed", scenario.followers) if scenario.followers else None
        )
        self.cron_flows = {f"cron-{i}" for i in range(_CRON_FLOWS)} if scenario.schedulers else set()
        self.poisoned_records = 0
        self.oversize: dict[str, int] = {}
        # The poison run's executions (id -> flow) that must end FAILED with an error saying
        # (flow -> what it says): none of them may vanish into the dead letters.
        self.poisoned: dict[str, str] = {}
        self._producer = Producer({
            "bootstrap.servers": bootstrap, "acks": "all", "log_level": 2,
            "message.max.bytes": largest_message_bytes(build_specs(self.settings)) + _RECORD_OVERHEAD_BYTES,
        })
        self._ended: set[str] = set()
        self._observing = threading.Event()
        self._stop = threading.Event()

    def _config(self, es_url: str) -> dict:
        replication = self.scenario.own_brokers if self.scenario.own_brokers == 3 else 1
        config = {
            "kafka": {
                "bootstrap-servers": self.bootstrap,
                # Fast failure detection: a killed member's partitions move after 6 s.
                "consumer": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000},
            },
            "topics": {"prefix": self.prefix, "partitions": 4, "replication-factor": replication},
            # Probe servers off (port 0): two workers or schedulers of one run would want the
            # same port, and parallel runs would too.
            "executor": {"stream-threads": 2, "probe-port": 0},
            "worker": {"threads": 16, "probe-port": 0},
            "scheduler": {"probe-port": 0},
            "elasticsearch": {"hosts": [es_url], "index-prefix": self.index_prefix},
            "indexer": {"flush-interval-ms": 200, "probe-port": 0},
            "storage": {"base-path": str(self.work / "storage")},
        }
        if self.webserver_port is not None:
            config["webserver"] = {"host": "127.0.0.1", "port": self.webserver_port}
        return config

    def prepare(self) -> None:
        ensure_topics(create_admin(self.settings), build_specs(self.settings).values())
        sources = {"mixed": MIXED, "child": CHILD} | {f: CRON.format(flow_id=f) for f in sorted(self.cron_flows)}
        if self.scenario.webserver:
            sources["hooked"] = HOOKED
        if self.scenario.poison:
            sources |= {"invalid": INVALID, "bad-transmit": BAD_TRANSMIT, "failing-child": FAILING_CHILD}
        for flow_id, source in sources.items():
            record = FlowRecord(namespace=NAMESPACE, id=flow_id, revision=1, source=source)
            self._producer.produce(self.topics["flows"], key=encode_key(record.uid), value=FLOW_RECORD.encode(record))
        assert self._producer.flush(30) == 0, "the flows were not accepted"
        threading.Thread(target=self._observe, name="chaos-observer", daemon=True).start()
        if not self._observing.wait(60):
            raise RuntimeError("no assignment on execution-states")

    def start_components(self) -> None:
        self.components.start("executor")
        for i in range(self.scenario.workers):
            self.components.start("worker", f"worker-{i + 1}" if self.scenario.workers > 1 else "worker")
        self.components.start("indexer")
        for i in range(self.scenario.schedulers):
            self.components.start("scheduler", f"scheduler-{i + 1}")
        if self.scenario.webserver:
            self.components.start("webserver")
            self.webserver_ready(240)
        warm_up = uuid.uuid4().hex
        command = CreateExecution(execution_id=warm_up, namespace=NAMESPACE, flow_id="child", created_at=datetime.now(UTC))
        self._producer.produce(self.topics["executions"], key=encode_key(warm_up), value=encode_command(command))
        self._producer.flush(10)
        if not self._wait_ended({warm_up}, 300):
            raise RuntimeError("the warm-up execution did not end: " + self._tails())

    def webserver_ready(self, timeout_s: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            try:
                if httpx.get(f"{self.webserver_url}/ready", timeout=5).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass  # not listening yet
            time.sleep(0.2)
        raise RuntimeError(f"the webserver was not ready after {timeout_s:.0f}s: " + self.components["webserver"].log_tail())

    def inject_poison(self) -> int:
        """Four bad records on each consumed topic (the last as large as the topic takes) and a
        create for each of ``POISONED_FLOWS``; how many records must become dead letters."""
        specs = build_specs(self.settings)
        kinds = [
            b"{not json",
            orjson.dumps({"v": 99, "type": "create", "data": {}}),
            orjson.dumps({"v": 1, "type": "create", "data": {"unexpected": True}}),
        ]
        for logical in (*DEAD_LETTERED_TOPICS, *SKIPPED_TOPICS):
            # Malformed and as big as the topic accepts: its dead letter must still hold it whole.
            oversize = b"{" + b"x" * (specs[logical].max_message_bytes - _RECORD_OVERHEAD_BYTES)
            self.oversize[logical] = len(oversize)
            for n, value in enumerate([*kinds, oversize]):
                self._producer.produce(self.topics[logical], key=encode_key(f"poison-{n}"), value=value)
                self.poisoned_records += logical in DEAD_LETTERED_TOPICS
        for flow_id in POISONED_FLOWS:
            command = CreateExecution(
                execution_id=uuid.uuid4().hex, namespace=NAMESPACE, flow_id=flow_id, created_at=datetime.now(UTC),
            )
            self.poisoned[command.execution_id] = flow_id
            self._producer.produce(self.topics["executions"], key=encode_key(command.execution_id), value=encode_command(command))
        self._producer.flush(30)
        return self.poisoned_records

    @property
    def accepted(self) -> set[str]:
        """Every execution the run must see end once: the load's and the followers' own."""
        return self.load.accepted | (self.followers.accepted if self.followers else set())

    def wait_drained(self) -> None:
        self._wait_ended(self.accepted | set(self.poisoned), self.size.drain_s)

    def _wait_ended(self, ids: set[str], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if ids <= self._ended:
                return True
            time.sleep(0.2)
        return False

    def _observe(self) -> None:
        consumer = Consumer({
            "bootstrap.servers": self.bootstrap, "group.id": f"chaos-observer-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False, "isolation.level": "read_committed", "log_level": 2,
        })
        topic = self.topics["execution-states"]
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        # Concrete end offsets, not OFFSET_END: that one is resolved at the first fetch, which
        # on a slow or fresh cluster can come after the warm-up execution has already ended.
        ends = [_end_offset(consumer, TopicPartition(topic, p)) for p in partitions]
        consumer.assign([TopicPartition(topic, p, end) for p, end in zip(partitions, ends, strict=True)])
        self._observing.set()
        while not self._stop.is_set():
            for message in consumer.consume(1000, 0.2):
                value = message.value()
                if message.error() is None and value is not None and b'"state"' in value:
                    state = orjson.loads(value).get("data", {}).get("state")
                    if state in TERMINAL:
                        self._ended.add(message.key().decode())
        consumer.close()

    def dead_letters(self) -> tuple[dict[str, int], int]:
        """Dead letters by source topic, and how many of them are an oversize record, whole."""
        counts: dict[str, int] = {}
        whole = 0
        for message in read_topic(self.bootstrap, self.topics["dead-letters"]):
            letter = read_dead_letter(message)
            logical = letter.topic.removeprefix(self.prefix)
            counts[logical] = counts.get(logical, 0) + 1
            whole += letter.value is not None and len(letter.value) == self.oversize.get(logical)
        return counts, whole

    def final_states(self, execution_ids: set[str]) -> dict[str, dict]:
        """The last snapshot of each of ``execution_ids`` on ``execution-states`` (if any)."""
        last: dict[str, dict] = {}
        for message in read_topic(self.bootstrap, self.topics["execution-states"]):
            key = message.key().decode("utf-8", "replace") if message.key() else ""
            if key in execution_ids and message.value() is not None:
                try:
                    last[key] = orjson.loads(message.value())["data"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    continue  # a poison record
        return last

    def _tails(self) -> str:
        return "\n".join(f"--- {name}\n{c.log_tail()}" for name, c in self.components.by_name.items())

    def close(self) -> None:
        self._stop.set()
        self.components.stop_all()
        # Left behind, a run's indices slow every later Elasticsearch restart.
        self.es.options(ignore_status=404).indices.delete(index=f"{self.index_prefix}*", expand_wildcards="all")
        self.es.options(ignore_status=404).indices.delete_index_template(name=f"{self.index_prefix}*")
        if self.own_kafka is not None:
            # A graceful stop of a 3-node cluster waits out its lost quorum (about 40 s); the
            # next run's start recovers the logs instead, and deletes this run's topics.
            self.own_kafka.kill()
            self._mounts.close()
        else:
            _delete_topics(self.bootstrap, self.prefix)


def _free_port() -> int:
    # The port the webserver of this run listens on: one the kernel just had free, so parallel
    # runs (and the shared development webserver on 8080) never collide.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _end_offset(consumer: Consumer, tp: TopicPartition, timeout_s: float = 60.0) -> int:
    # A topic created a moment ago may have no leader yet: ask until it does.
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return int(consumer.get_watermark_offsets(tp, timeout=5)[1])
        except KafkaException:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def _delete_topics(bootstrap: str, prefix: str, attempts: int = 3) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for attempt in range(1, attempts + 1):
        leftovers = [t for t in admin.list_topics(timeout=30).topics if t.startswith(prefix)]
        if not leftovers:
            return
        try:
            for future in admin.delete_topics(leftovers, operation_timeout=30).values():
                future.result()
            return
        except KafkaException:
            # Right after a cluster starts, librdkafka drops its bootstrap connections once it
            # knows the brokers, failing what was in flight on them (_DESTROY_BROKER).
            if attempt == attempts:
                raise
            time.sleep(1.0)


def _audit_poisoned(audit: Audit, poisoned: dict[str, str], finals: dict[str, dict]) -> None:
    """Each poisoned execution must end FAILED saying why; one that never ends is lost."""
    audit.poisoned = len(poisoned)
    for execution_id, flow_id in poisoned.items():
        final = finals.get(execution_id, {})
        state, error = final.get("state"), final.get("error") or ""
        audit.examples.append(f"poisoned execution of {flow_id}: {state or 'never written'}: {error}")
        if state not in TERMINAL:
            audit.lost += 1
        elif state != "FAILED" or POISONED_FLOWS[flow_id] not in error:
            audit.poisoned_wrong += 1


def run_scenario(scenario: Scenario, size: Size, bootstrap: str, es_url: str, work: Path) -> Audit:
    """Run ``scenario`` at ``size`` against the broker at ``bootstrap`` (unless it brings its
    own) and the Elasticsearch at ``es_url``; the audit of what happened."""
    phases: dict[str, float] = {}
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        phases[name] = now - mark
        mark = now

    run = _Run(scenario, size, bootstrap, es_url, work)
    faults = Faults(run)
    try:
        run.prepare()
        phase("set-up")
        run.start_components()
        phase("components")
        schedule = threading.Thread(target=scenario.schedule, args=(faults,), name="chaos-faults")
        run.load.start()
        schedule.start()
        run.load.join(size.executions / size.rate + 300)
        schedule.join(size.outage_s + 300)
        phase("load and faults")
        run.wait_drained()
        for name in [n for n in run.components.by_name if n.startswith("scheduler")]:
            run.components[name].stop()
        if run.cron_flows:
            time.sleep(5)  # the last cron executions end before their logs are counted
        phase("drain")
        audit = audit_run(
            scenario.name, run.bootstrap, run.topics, run.accepted, run.es,
            IndexNames(run.index_prefix).pattern("logs"), SECRET_VALUE, TASK_RUNS_PER_EXECUTION, run.cron_flows,
        )
        audit.executions = len(run.load.sent)
        audit.lost += len(run.load.rejected)
        if isinstance(run.load, WebLoad):
            audit_requests(
                audit, run.bootstrap, run.topics["executions"], run.load.sent, run.load.answered, run.load.refused,
                run.load.unanswered, run.load.retried, REQUEST_LABEL,
            )
        if run.followers is not None:
            run.followers.join(60)
            audit_followers(audit, run.bootstrap, run.topics, run.followers.followed)
        if scenario.poison:
            letters, whole = run.dead_letters()
            audit.poison = run.poisoned_records
            audit.poison_dead_lettered = sum(letters.get(t, 0) for t in DEAD_LETTERED_TOPICS)
            audit.poison_oversize, audit.poison_oversize_whole = len(DEAD_LETTERED_TOPICS), whole
            audit.examples += [f"dead letters by topic: {letters}"]
            _audit_poisoned(audit, run.poisoned, run.final_states(set(run.poisoned)))
        audit.faults = faults.notes
        audit.under_replicated = faults.under_replicated
        phase("audit")
        audit.phases = phases
        crashed = run.components.crashed()
        audit.crashed = len(crashed)
        if crashed:
            audit.examples.append(f"exited on their own: {crashed}\n{run._tails()}")
        return audit
    finally:
        run.close()


def run_scenarios(
    scenarios: Sequence[Scenario], size: Size, bootstrap: str, es_url: str, work: Path, parallel: int = 1,
) -> dict[str, Audit | Exception]:
    """Run ``scenarios``, up to ``parallel`` side by side; each one's audit (or what it raised).

    Runs share no topic, group or index, so they can overlap: they spend most of their time
    waiting on faults and drains, not on the CPU. A scenario whose fault hits what every run
    uses (``shared_fault``) runs alone, after the others.
    """
    def one(scenario: Scenario) -> Audit | Exception:
        try:
            return run_scenario(scenario, size, bootstrap, es_url, work)
        except Exception as exc:  # noqa: BLE001 - reported as that scenario's failure
            return exc

    side_by_side = [s for s in scenarios if not s.shared_fault]
    with ThreadPoolExecutor(max_workers=max(parallel, 1), thread_name_prefix="chaos-run") as pool:
        results = dict(zip([s.name for s in side_by_side], pool.map(one, side_by_side), strict=True))
    for scenario in scenarios:
        if scenario.shared_fault:
            results[scenario.name] = one(scenario)
    return {s.name: results[s.name] for s in scenarios}
