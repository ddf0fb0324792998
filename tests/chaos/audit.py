"""What happened, read back from the topics (read committed) and from Elasticsearch.

- executions: every accepted create ends exactly once (one terminal snapshot per id on
  ``execution-states``), and so does every child execution;
- task runs: each reaches one terminal state, recorded once (the terminal entry of its
  history never changes once written);
- worker results: duplicates are counted (redelivery after a worker crash), not failures;
  the executor drops them;
- log lines: every committed record on ``logs`` is a document in Elasticsearch, once;
- secrets: the value behind ``secret('CHAOS_TOKEN')`` appears nowhere;
- cron ticks: per flow, the fired dates are unique and contiguous;
- webserver requests: each one answered 2xx started exactly one execution, the one it named;
- followers (SSE): each saw its execution's state history grow to the terminal one and the
  end frame, and every log line of it from where its stream began, once and in order.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition
from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan

from harrier.topics.exceptions import DecodeError
from harrier.topics.records import LOG_BATCH
from harrier.topics.serdes import decode_envelope
from harrier.webserver.followcursor import Cursor
from tests.chaos.followers import Followed

__all__ = ["Audit", "audit_followers", "audit_requests", "audit_run", "read_topic"]

TERMINAL = frozenset({"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"})


@dataclass
class Audit:
    """The counts one scenario is judged by; ``problems`` must be empty."""

    scenario: str
    executions: int = 0
    lost: int = 0
    finished_twice: int = 0
    not_success: int = 0
    children: int = 0
    task_runs: int = 0
    task_runs_bad: int = 0
    redelivered_results: int = 0
    log_lines: int = 0
    logs_indexed: int = 0
    logs_lost: int = 0
    logs_duplicated: int = 0
    secret_leaks: int = 0
    ticks: int = 0
    ticks_lost: int = 0
    ticks_doubled: int = 0
    poison: int = 0
    poison_dead_lettered: int = 0
    # One record per dead-lettered topic as large as the topic takes; its dead letter whole.
    poison_oversize: int = 0
    poison_oversize_whole: int = 0
    # The poison run's executions that must end FAILED with their error (an unknown flow, an
    # invalid one, a step that raises): how many did not (one that never ended is lost).
    poisoned: int = 0
    poisoned_wrong: int = 0
    # Requests through the webserver (webserver-kill): answered 2xx, refused with another
    # status, not answered at all even when retried; answered ones that did not start exactly
    # the execution they named; unanswered ones that started one anyway (the caller cannot
    # know); and those retried with their idempotency key after a first try got no answer.
    requests: int = 0
    requests_retried: int = 0
    requests_answered: int = 0
    requests_refused: int = 0
    requests_unanswered: int = 0
    answered_not_once: int = 0
    unanswered_started: int = 0
    # SSE followers (sse-follow-across-restart): how many, how many reconnected; those that
    # did not see their execution's whole state history to its end (or the end frame); the
    # log lines they were due (from where each stream began), lost, seen twice (or not on the
    # topic), and followers that saw theirs out of order; lines logged before a stream began.
    followers: int = 0
    followers_reconnected: int = 0
    followers_states_wrong: int = 0
    follower_lines: int = 0
    follower_lines_lost: int = 0
    follower_lines_twice: int = 0
    followers_out_of_order: int = 0
    follower_lines_before_start: int = 0
    # Partitions still short of in-sync replicas after a killed broker came back.
    under_replicated: int = 0
    crashed: int = 0
    faults: list[str] = field(default_factory=list)
    # Task runs (task_run_id -> "task attempt state") not terminal in a lost execution's last snapshot.
    stuck: dict[str, dict[str, str]] = field(default_factory=dict)
    # Seconds spent per phase of the run (set-up, components, load, drain, audit).
    phases: dict[str, float] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """One line per broken promise."""
        checks = {
            "executions lost": self.lost, "executions finished twice": self.finished_twice,
            "executions not SUCCESS": self.not_success, "task runs not recorded once": self.task_runs_bad,
            "log lines not indexed": self.logs_lost, "log lines indexed twice": self.logs_duplicated,
            "secret leaks": self.secret_leaks, "cron ticks lost": self.ticks_lost,
            "cron ticks doubled": self.ticks_doubled,
            "poison records not dead-lettered": self.poison - self.poison_dead_lettered,
            "oversize poison records not dead-lettered whole": self.poison_oversize - self.poison_oversize_whole,
            "poisoned executions not FAILED with their error": self.poisoned_wrong,
            "requests answered 2xx without exactly their one execution": self.answered_not_once,
            "partitions not back to full ISR": self.under_replicated,
            "followers that missed a state or the end": self.followers_states_wrong,
            "log lines a follower missed": self.follower_lines_lost,
            "log lines a follower saw twice": self.follower_lines_twice,
            "followers that saw lines out of order": self.followers_out_of_order,
            "components that exited on their own": self.crashed,
        }
        return [f"{what}: {n}" for what, n in checks.items() if n]


def read_topic(bootstrap: str, topic: str, idle_s: float = 5.0) -> Iterator[Message]:
    """Every committed record of ``topic``, from the beginning to the end of each partition."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": f"chaos-audit-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False, "isolation.level": "read_committed", "enable.partition.eof": True,
        "fetch.max.bytes": 64 * 1024 * 1024, "log_level": 2,
    })
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        pending = set(partitions)
        last_record = time.monotonic()
        while pending and time.monotonic() - last_record < idle_s:
            for message in consumer.consume(2000, 0.5):
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        pending.discard(message.partition())
                    continue
                last_record = time.monotonic()
                yield message
    finally:
        consumer.close()


def _data(message: Message) -> dict[str, Any] | None:
    try:
        data = decode_envelope(message.value()).data
    except Exception:  # noqa: BLE001 - foreign or poison records are not part of the audit
        return None
    return data if isinstance(data, dict) else None


def _audit_executions(audit: Audit, bootstrap: str, topic: str, accepted: set[str], secret: str,
                      task_runs_per_execution: int) -> None:
    terminal: Counter[str] = Counter()
    final: dict[str, dict[str, Any]] = {}
    marks: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for message in read_topic(bootstrap, topic):
        value = message.value()
        if value is None:
            continue
        if secret.encode() in value:
            audit.secret_leaks += 1
        data = _data(message)
        if data is None or "task_runs" not in data:
            continue
        execution_id = data["id"]
        if data["state"] in TERMINAL:
            terminal[execution_id] += 1
        final[execution_id] = data
        for tr in data["task_runs"]:
            ends = {(h["state"], h["at"]) for h in tr["history"] if h["state"] in TERMINAL}
            marks[(execution_id, tr["id"])] |= ends
    audit.executions = len(accepted)
    lost = sorted(accepted - set(terminal))
    audit.lost = len(lost)
    audit.examples += [f"lost {i}: last state {final[i]['state'] if i in final else 'none'}" for i in lost[:3]]
    audit.stuck = {i: _unfinished(final[i]) for i in lost[:3] if i in final}
    twice = [i for i, n in terminal.items() if n > 1]
    audit.finished_twice = len(twice)
    audit.examples += [f"finished {terminal[i]} times: {i}" for i in twice[:3]]
    for execution_id, data in final.items():
        parent = data.get("parent")
        audit.children += parent is not None
        # Accepted executions and their children; not cron executions, nor the poison run's
        # (whose children fail on purpose).
        if execution_id not in accepted and (parent is None or parent["execution_id"] not in accepted):
            continue
        if data["state"] in TERMINAL and data["state"] != "SUCCESS":
            audit.not_success += 1
            if len(audit.examples) < 8:
                audit.examples.append(f"{execution_id} ended {data['state']}: {data.get('error')}")
        if execution_id in accepted and data["state"] in TERMINAL and len(data["task_runs"]) != task_runs_per_execution:
            audit.task_runs_bad += 1
            audit.examples.append(f"{execution_id}: {len(data['task_runs'])} task runs")
        for tr in data["task_runs"]:
            audit.task_runs += 1
            if data["state"] in TERMINAL and (tr["state"] not in TERMINAL or len(marks[(execution_id, tr["id"])]) != 1):
                audit.task_runs_bad += 1
                if len(audit.examples) < 8:
                    audit.examples.append(f"{execution_id}/{tr['task_id']}: {tr['state']}, ends {marks[(execution_id, tr['id'])]}")


def _unfinished(snapshot: dict[str, Any]) -> dict[str, str]:
    return {
        tr["id"]: f"{tr['task_id']} ({len(tr.get('attempts') or ())} attempts) {tr['state']}"
        for tr in snapshot["task_runs"] if tr["state"] not in TERMINAL
    }


def _audit_results(audit: Audit, bootstrap: str, topic: str) -> None:
    seen: Counter[tuple[str, int]] = Counter()
    for message in read_topic(bootstrap, topic):
        data = _data(message)
        if data is not None and "task_run_id" in data:
            seen[(data["task_run_id"], data["attempt"])] += 1
            _trace(audit, "result", message, data)
    audit.redelivered_results = sum(n - 1 for n in seen.values())


def _trace(audit: Audit, what: str, message: Message, data: dict[str, Any]) -> None:
    # Where a lost execution's unfinished task runs got to: tells executor, worker and broker apart.
    runs = audit.stuck.get(data.get("execution_id", ""))
    if runs is not None and data["task_run_id"] in runs:
        audit.examples.append(
            f"  {runs[data['task_run_id']]}: {what} attempt {data['attempt']} "
            f"{data.get('state', '')} at {message.topic()}[{message.partition()}]@{message.offset()}"
        )


def _audit_tasks(audit: Audit, bootstrap: str, topic: str) -> None:
    for message in read_topic(bootstrap, topic):
        data = _data(message)
        if data is not None and "task_run_id" in data:
            _trace(audit, "task", message, data)


def _audit_logs(audit: Audit, bootstrap: str, topic: str, es: Elasticsearch, index_pattern: str,
                secret: str, timeout_s: float) -> None:
    ids = set()
    for message in read_topic(bootstrap, topic):
        if message.value() is None:
            continue
        if secret.encode() in message.value():
            audit.secret_leaks += 1
        try:
            batch = LOG_BATCH.decode(message.value())
        except DecodeError:
            continue  # not a log batch (the poison run's records): the indexer dead-letters it
        record = f"{message.topic()}-{message.partition()}-{message.offset()}"
        ids.update(f"{record}-{line}" for line in range(len(batch.messages)))
    audit.log_lines = len(ids)
    quiet = es.options(ignore_status=(404, 503))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        quiet.indices.refresh(index=index_pattern)
        if _lines_searchable(quiet, index_pattern) >= len(ids):
            break
        time.sleep(1.0)
    indexed: Counter[str] = Counter()
    for hit in scan(es, index=index_pattern, query={"query": {"match_all": {}}}, size=100):
        source = hit["_source"]
        for line in range(source["lines"]):
            indexed[f"{hit['_id']}-{line}"] += 1
        if any(secret in message for message in source["messages"]):
            audit.secret_leaks += 1
    audit.logs_indexed = sum(indexed.values())
    audit.logs_lost = len(ids - set(indexed))
    audit.logs_duplicated = sum(n - 1 for n in indexed.values()) + len(set(indexed) - ids)


def _lines_searchable(es: Elasticsearch, index_pattern: str) -> int:
    """Log lines searchable so far: a log document holds a batch of ``lines``."""
    response = es.search(index=index_pattern, size=0, aggs={"lines": {"sum": {"field": "lines"}}})
    return int(response.get("aggregations", {}).get("lines", {}).get("value", 0))


def _audit_ticks(audit: Audit, bootstrap: str, topic: str, cron_flows: set[str]) -> None:
    dates: dict[str, Counter[datetime]] = defaultdict(Counter)
    for message in read_topic(bootstrap, topic):
        data = _data(message)
        if data is None or data.get("command") != "create" or data.get("flow_id") not in cron_flows:
            continue
        trigger = data.get("trigger") or {}
        if "date" in trigger:
            dates[data["flow_id"]][datetime.fromisoformat(trigger["date"])] += 1
    for flow_id in sorted(cron_flows):
        fired = dates.get(flow_id, Counter())
        audit.ticks += sum(fired.values())
        audit.ticks_doubled += sum(n - 1 for n in fired.values())
        if not fired:
            audit.ticks_lost += 1
            audit.examples.append(f"{flow_id}: never fired")
            continue
        first, last = min(fired), max(fired)
        expected = {first + timedelta(seconds=s) for s in range(int((last - first).total_seconds()) + 1)}
        missing = sorted(expected - set(fired))
        audit.ticks_lost += len(missing)
        audit.examples += [f"{flow_id}: tick {d.isoformat()} lost" for d in missing[:3]]


def audit_requests(audit: Audit, bootstrap: str, topic: str, sent: list[int], answered: dict[int, str],
                   refused: dict[int, int], unanswered: dict[int, str], retried: dict[int, str],
                   label: str) -> None:
    """Which executions each request started, from the creates on ``executions``: a webhook
    call's number is in its trigger body, an API create's in its ``label``."""
    started: dict[int, set[str]] = defaultdict(set)
    for message in read_topic(bootstrap, topic):
        data = _data(message)
        if data is None or data.get("command") != "create":
            continue
        body = (data.get("trigger") or {}).get("body")
        number = body.get("request") if isinstance(body, dict) else (data.get("labels") or {}).get(label)
        if number is not None:
            started[int(number)].add(data["execution_id"])
    audit.requests, audit.requests_answered, audit.requests_retried = len(sent), len(answered), len(retried)
    audit.requests_refused, audit.requests_unanswered = len(refused), len(unanswered)
    wrong = sorted(n for n, execution_id in answered.items() if started.get(n) != {execution_id})
    audit.answered_not_once = len(wrong)
    audit.examples += [f"request {n} answered {answered[n]}, started {sorted(started.get(n, ()))}" for n in wrong[:3]]
    audit.unanswered_started = sum(bool(started.get(n)) for n in unanswered)
    if refused or unanswered or retried:
        audit.examples.append(
            f"retried (why the first try failed): {dict(Counter(retried.values()))}; "
            f"refused: {dict(Counter(refused.values()))}; unanswered: {dict(Counter(unanswered.values()))}, "
            f"{audit.unanswered_started} of them started an execution anyway; refused that started one: "
            f"{sum(bool(started.get(n)) for n in refused)}"
        )


def audit_followers(audit: Audit, bootstrap: str, topics: dict[str, str], followed: list[Followed]) -> None:
    """What each follower saw against the topics: the terminal snapshot's history, and the
    execution's log lines in (record offset, line) order."""
    ids = {f.execution_id for f in followed}
    history: dict[str, list[str]] = {}
    for message in read_topic(bootstrap, topics["execution-states"]):
        data = _data(message)
        if data is not None and data.get("id") in ids and data.get("state") in TERMINAL:
            history[data["id"]] = [h["state"] for h in data["history"]]
    lines: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for message in read_topic(bootstrap, topics["logs"]):
        data = _data(message)
        if data is not None and data.get("execution_id") in ids:
            lines[data["execution_id"]] += [(message.offset(), n) for n in range(len(data.get("messages") or ()))]
    audit.followers = len(followed)
    for f in followed:
        audit.followers_reconnected += bool(f.reconnects)
        bodies = [data for kind, data, _ in f.frames if kind == "message"]
        seen = [[h["state"] for h in body["state"]["histories"]] for body in bodies]
        grew = all(later[: len(earlier)] == earlier for earlier, later in zip(seen, seen[1:]))
        ended = bool(f.frames) and f.frames[-1][2] == "end"
        if f.error or not ended or not grew or not seen or seen[-1] != history.get(f.execution_id):
            audit.followers_states_wrong += 1
            audit.examples.append(f"follower of {f.execution_id}: error {f.error}, ended {ended}, states {seen[-3:]}, "
                                  f"on the topic {history.get(f.execution_id)}")
        start = Cursor.parse(f.frames[0][2]) if f.frames else None
        since = (start.log_offset, start.log_line) if start else (0, 0)
        due = [line for line in lines[f.execution_id] if line >= since]
        got = [(data["offset"], data["line"]) for kind, data, _ in f.frames if kind == "log"]
        audit.follower_lines += len(due)
        audit.follower_lines_before_start += len(lines[f.execution_id]) - len(due)
        audit.follower_lines_lost += len(set(due) - set(got))
        audit.follower_lines_twice += len(got) - len(set(got)) + len(set(got) - set(due))
        audit.followers_out_of_order += got != sorted(got)
        if set(due) != set(got):
            audit.examples.append(f"follower of {f.execution_id}: lines due {due}, got {got}, reconnects {f.reconnects}")
    reopened = sum(f.reopened for f in followed)
    if reopened:
        audit.examples.append(f"streams opened again after a 404 (the first snapshot came after 10 s): {reopened}")


def audit_run(
    scenario: str, bootstrap: str, topics: dict[str, str], accepted: set[str], es: Elasticsearch,
    logs_pattern: str, secret: str, task_runs_per_execution: int, cron_flows: set[str] = frozenset(),
    index_timeout_s: float = 180.0,
) -> Audit:
    """Audit one finished run; ``topics`` maps logical names to real topic names."""
    audit = Audit(scenario)
    _audit_executions(audit, bootstrap, topics["execution-states"], accepted, secret, task_runs_per_execution)
    if audit.stuck:
        _audit_tasks(audit, bootstrap, topics["worker-tasks"])
        audit.examples += [f"  {i}: unfinished {', '.join(runs.values()) or 'nothing'}" for i, runs in audit.stuck.items()]
    _audit_results(audit, bootstrap, topics["worker-results"])
    _audit_logs(audit, bootstrap, topics["logs"], es, logs_pattern, secret, index_timeout_s)
    if cron_flows:
        _audit_ticks(audit, bootstrap, topics["executions"], set(cron_flows))
    return audit
