"""The scenarios: which components run, on which broker, and the faults applied under load.

A fault schedule is a function of a ``Faults`` handle; it waits for the load to reach a share
of its executions (``at``), breaks something, and notes what it did.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.chaos.run import Faults

__all__ = ["SCENARIOS", "SHORT_SET", "Scenario"]


@dataclass(frozen=True)
class Scenario:
    """One fault scenario."""

    name: str
    description: str
    schedule: Callable[[Faults], None]
    # 0: the shared broker of the test session; 1 or 3: a broker (cluster) of the run's own,
    # so stopping it disturbs nothing else.
    own_brokers: int = 0
    # The run's own broker keeps its log dir on a tmpfs of this many MiB (``diskfull.py``),
    # which the schedule can fill.
    own_disk_mib: int = 0
    # Which of the session's one-broker port pairs a run's own broker takes (port + 2 * slot):
    # runs of one session side by side must not start, stop or kill each other's broker.
    broker_slot: int = 0
    workers: int = 1
    schedulers: int = 0
    poison: bool = False
    # The load goes through a webserver of the run's own (webhook calls and API creates).
    webserver: bool = False
    # SSE followers of executions of their own, through that webserver (``followers.py``).
    followers: int = 0
    # The load lasts at least this long (a lower rate at the quick size), so it outlasts the faults.
    min_load_s: float = 0.0
    # The fault hits what every run uses (the session's Elasticsearch): the scenario runs
    # alone, never beside another.
    shared_fault: bool = False
    # Run by ``make test`` at the CI size; left out only when another scenario of the set
    # applies its fault too, so the suite stays within its budget.
    short_set: bool = True


def _kill_executor_twice(f: Faults) -> None:
    for share in (0.25, 0.6):
        f.at(share)
        pid = f.components.kill_stream_process()
        f.note(f"SIGKILL executor stream process {pid} at {f.load.elapsed():.1f}s")


def _sigkill(f: Faults, share: float, name: str, why: str) -> None:
    f.at(share)
    component = f.components[name]
    component.signal(signal.SIGKILL)
    component.wait(10)
    f.note(f"SIGKILL {name} at {f.load.elapsed():.1f}s {why}")


def _kill_worker(f: Faults) -> None:
    _sigkill(f, 0.4, "worker-1", "(worker-2 takes its tasks over)")


def _restart_broker(f: Faults) -> None:
    f.at(0.4)
    assert f.kafka is not None
    f.kafka.down()
    f.note(f"broker stopped at {f.load.elapsed():.1f}s")
    time.sleep(5)
    f.kafka.up()
    f.note(f"broker started again at {f.load.elapsed():.1f}s")


def _stop_elasticsearch(f: Faults) -> None:
    f.at(0.3)
    f.elasticsearch.down()
    f.note(f"Elasticsearch stopped at {f.load.elapsed():.1f}s")
    time.sleep(f.outage_s)
    f.elasticsearch.up()
    f.note(f"Elasticsearch started again after {f.outage_s:.0f}s")


def _kill_scheduler(f: Faults) -> None:
    _sigkill(f, 0.3, "scheduler-1", "while its cron triggers were due")


def _kill_one_of_three_brokers(f: Faults) -> None:
    f.at(0.3)
    assert f.kafka is not None
    f.kafka.kill_node(2)
    f.note(f"SIGKILL broker 2 of 3 at {f.load.elapsed():.1f}s")
    time.sleep(f.outage_s)
    f.kafka.up()
    f.note(f"broker 2 started again on its data at {f.load.elapsed():.1f}s")
    took = f.wait_full_isr()
    f.note(f"every partition of the run back to 3 in-sync replicas {took:.1f}s later"
           if f.under_replicated == 0 else f"{f.under_replicated} partitions still under-replicated")


def _kill_executor_during_broker_restart(f: Faults) -> None:
    f.at(0.4)
    assert f.kafka is not None
    f.kafka.down()
    f.note(f"broker stopped at {f.load.elapsed():.1f}s")
    pid = f.components.kill_stream_process()
    f.note(f"SIGKILL executor stream process {pid} at {f.load.elapsed():.1f}s, the broker still down")
    time.sleep(5)
    f.kafka.up()
    f.note(f"broker started again at {f.load.elapsed():.1f}s")


def _kill_worker_during_elasticsearch_outage(f: Faults) -> None:
    f.at(0.3)
    f.elasticsearch.down()
    f.note(f"Elasticsearch stopped at {f.load.elapsed():.1f}s")
    _sigkill(f, 0.5, "worker-1", "during the outage (worker-2 takes its tasks over)")
    time.sleep(f.outage_s)
    f.elasticsearch.up()
    f.note(f"Elasticsearch started again at {f.load.elapsed():.1f}s")


def _kill_and_restart_webserver(f: Faults) -> None:
    webserver = f.components["webserver"]
    webserver.signal(signal.SIGKILL)
    webserver.wait(10)
    killed_at = f.load.elapsed()
    webserver.start()
    took = f.webserver_ready()
    f.note(f"SIGKILL webserver at {killed_at:.1f}s, restarted, ready again {took:.1f}s later")


def _kill_webserver_twice(f: Faults) -> None:
    for share in (0.25, 0.6):
        f.at(share)
        _kill_and_restart_webserver(f)


def _restart_webserver_under_followers(f: Faults) -> None:
    f.at(0.3)
    assert f.followers is not None
    f.followers.start()
    f.note(f"{len(f.followers.followed)} followers streaming their executions at {f.load.elapsed():.1f}s")
    time.sleep(1.0)  # their executions are under way: lines and snapshots in flight
    _kill_and_restart_webserver(f)


def _fill_the_brokers_disk(f: Faults) -> None:
    f.at(0.4)
    assert f.kafka is not None and f.disk is not None
    f.note(f"broker's log dir filled at {f.load.elapsed():.1f}s ({f.disk.fill() / 2**20:.0f} MiB were free)")
    stopped = f.disk.wait_broker_gone(f.kafka, 60)
    f.note(f"the broker stopped itself {stopped:.1f}s later" if stopped is not None
           else "the broker was still up 60 s later")
    time.sleep(2)
    f.disk.free()
    f.kafka.kill()  # a broker still up with a failed log dir serves nothing: restart it
    f.kafka.up()
    f.note(f"space freed and the broker started again at {f.load.elapsed():.1f}s")


def _poison_every_topic(f: Faults) -> None:
    f.at(0.3)
    f.note(f"poison records on every consumed topic at {f.load.elapsed():.1f}s ({f.inject_poison()} to dead-letter)")


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("executor-kill", "kill -9 an executor stream process, twice", _kill_executor_twice),
    Scenario("worker-kill", "kill -9 one of two workers while it holds running tasks", _kill_worker, workers=2),
    Scenario("broker-restart", "stop the Kafka broker and start it again", _restart_broker, own_brokers=1),
    # worker-kill-during-es-outage stops Elasticsearch the same way in the short set.
    Scenario("elasticsearch-stop", "stop Elasticsearch for the outage", _stop_elasticsearch, shared_fault=True,
             short_set=False),
    Scenario("scheduler-kill", "kill -9 one of two schedulers while cron triggers are due", _kill_scheduler,
             schedulers=2),
    Scenario("broker-kill-of-3", "kill -9 one broker of a 3-broker cluster (replication factor 3), bring it back "
             "on its data after the outage, wait for full ISR", _kill_one_of_three_brokers, own_brokers=3,
             min_load_s=20.0),
    Scenario("webserver-kill", "kill -9 the webserver under webhook calls and API creates, twice, and restart it",
             _kill_webserver_twice, webserver=True, min_load_s=30.0),
    Scenario("sse-follow-across-restart", "20 SSE followers of running executions (the CLI's reader), the "
             "webserver killed -9 under them and restarted; each must see every state and log line once",
             _restart_webserver_under_followers, webserver=True, followers=20, min_load_s=30.0),
    Scenario("executor-kill-during-broker-restart", "stop the broker, kill -9 an executor stream process while it "
             "is down, start the broker again", _kill_executor_during_broker_restart, own_brokers=1,
             broker_slot=1),
    Scenario("worker-kill-during-es-outage", "stop Elasticsearch, kill -9 one of two workers during the outage",
             _kill_worker_during_elasticsearch_outage, workers=2, shared_fault=True, min_load_s=20.0),
    Scenario("broker-disk-full", "fill the broker's log dir (a tmpfs) until Kafka takes the dir offline, free "
             "the space, start the broker again", _fill_the_brokers_disk, own_brokers=1, own_disk_mib=512,
             broker_slot=2),
    Scenario("poison", "malformed, wrong-version, wrong-schema and oversize records on every consumed topic, "
             "and creates for an unknown flow, an invalid one and one whose step raises",
             _poison_every_topic, schedulers=1, poison=True),
)

SHORT_SET = tuple(s for s in SCENARIOS if s.short_set)
