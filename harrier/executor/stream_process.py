"""One stream process: its clients, its loop, its exit code.

A stream process is one member of the executor's consumer group with one transactional
producer. It runs until SIGTERM or SIGINT, then commits, leaves the group and closes its
clients. Exit codes tell the supervisor what to do next:

- ``EXIT_OK`` (0): stopped on request.
- ``EXIT_CONFIG`` (2): cannot run as configured (co-partitioning); restarting will not help.
- ``EXIT_ABORTED`` (4): a transaction failed and was aborted. The stores hold changes that
  never committed, and the inputs are past them: a restart rebuilds both from the last
  commit.
- ``EXIT_FENCED`` (3): a newer producer with this ``transactional.id`` exists, or the
  producer hit a fatal error. The process drops everything (its open transaction is already
  aborted or will be by the broker) and exits instead of rejoining in place: a fresh process
  gets a fresh producer and consumer, and the supervisor's restart is the one recovery path.
- anything else: crashed; the supervisor restarts it.
"""

from __future__ import annotations

import functools
import logging
import signal
from collections.abc import Callable
from types import FrameType

from confluent_kafka import Consumer, Producer

from harrier.executor.assignment import TaskManager
from harrier.executor.copartitioning import check_co_partitioning
from harrier.executor.exceptions import CoPartitioningError
from harrier.executor.loop import StreamLoop
from harrier.executor.processing import Processor
from harrier.executor.rebalance import RebalanceListener
from harrier.executor.restore import ChangelogRestorer
from harrier.executor.runtime import RuntimeConfig
from harrier.executor.sink import RecordSink
from harrier.topics.clients import (
    create_admin,
    create_consumer,
    create_producer,
    create_transactional_producer,
)
from harrier.topics.exceptions import ProducerFatal, ProducerFenced, TransactionAbortable
from harrier.topics.specs import build_specs
from harrier.topics.transactions import TransactionalProducer

__all__ = ["EXIT_ABORTED", "EXIT_CONFIG", "EXIT_FENCED", "EXIT_OK", "ProcessorFactory", "run_stream_process"]

logger = logging.getLogger("harrier.executor")

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_FENCED = 3
EXIT_ABORTED = 4

# Must be picklable (a module-level function or class, or functools.partial of one): the
# supervisor starts stream processes through multiprocessing's fork server.
ProcessorFactory = Callable[[], Processor]


def run_stream_process(config: RuntimeConfig, factory: ProcessorFactory, index: int) -> int:
    """Run stream process ``index`` until a stop signal; return its exit code."""
    settings = config.settings
    try:
        check_co_partitioning(create_admin(settings), config)
    except CoPartitioningError as exc:
        logger.error("stream process %d refuses to start: %s", index, exc)
        return EXIT_CONFIG
    processor = factory()
    client_id = config.client_id(index)
    producer: TransactionalProducer | Producer
    if config.exactly_once:
        producer = create_transactional_producer(
            settings, config.transactional_id(index), client_id, config.producer_overrides()
        )
    else:
        producer = create_producer(settings, client_id, config.producer_overrides())
    consumer = create_consumer(settings, config.group_id, client_id, config.consumer_overrides())
    limits = {name: spec.max_message_bytes for name, spec in build_specs(settings).items()}
    sink = RecordSink(
        producer, settings.topics.prefix, config.topic(config.dead_letters), limits
    )
    changelog = config.topic(config.changelog)

    restorer = ChangelogRestorer(
        functools.partial(create_consumer, settings, None, f"{client_id}-restore"), changelog, create_admin(settings)
    )
    tasks = TaskManager(config.input_topics(), changelog, processor, sink, restorer)
    executor = settings.executor
    loop = StreamLoop(
        consumer, producer, tasks, sink, executor.poll_ms, executor.commit_interval_ms
    )
    listener = RebalanceListener(tasks, loop)
    consumer.subscribe(
        list(config.input_topics()),
        on_assign=listener.on_assign,
        on_revoke=listener.on_revoke,
        on_lost=listener.on_lost,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        loop.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("stream process %d started (%s)", index, client_id)
    try:
        loop.run()
    except (ProducerFenced, ProducerFatal) as exc:
        logger.error("stream process %d stops, its producer is unusable: %s", index, exc)
        _leave_without_commit(loop, consumer)
        return EXIT_FENCED
    except TransactionAbortable as exc:
        logger.warning(
            "stream process %d restarts from its last commit, its transaction was aborted: %s",
            index, exc,
        )
        _leave_without_commit(loop, consumer)
        return EXIT_ABORTED
    except BaseException:
        # A bug or a fatal consumer error: the interval's work must not commit, but leaving
        # the group lets the others take over without waiting for the session timeout.
        _leave_without_commit(loop, consumer)
        raise
    # close() revokes the partitions (the listener commits, nothing is left by now) and
    # leaves the group, so the other members take over without waiting for a timeout.
    consumer.close()
    _flush(producer)
    logger.info("stream process %d stopped", index)
    return EXIT_OK


def _leave_without_commit(loop: StreamLoop, consumer: Consumer) -> None:
    loop.halt()
    consumer.close()


def _flush(producer: TransactionalProducer | Producer) -> None:
    raw = producer.raw if isinstance(producer, TransactionalProducer) else producer
    raw.flush(10.0)
