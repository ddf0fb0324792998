"""``stall_guard``: end the stream process when a blocking Kafka call outlives its timeout.

librdkafka's ``send_offsets_to_transaction`` can block forever past the timeout it is given
when the group coordinator goes away (librdkafka issues 5456 and 5511, open against the
2.x line confluent-kafka 2.16 bundles): seen in the chaos broker restart, every stream
process stuck in step 3 of a checkpoint for minutes after the broker was back. A call in C
cannot be interrupted from Python, so the process exits instead; the supervisor starts a
new one, whose producer fences the stuck transaction, and the changelog restores its state,
so nothing is lost or doubled (exactly the path a kill -9 takes).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["STALLED_EXIT", "stall_guard"]

logger = logging.getLogger("harrier.executor")

# The exit code of a stream process ended by the guard (EX_TEMPFAIL: restart it).
STALLED_EXIT = 75


@contextmanager
def stall_guard(limit_s: float, what: str) -> Iterator[None]:
    """Run the block; if it has not returned after ``limit_s``, log and exit the process."""

    def stalled() -> None:
        logger.critical("%s still blocked after %.0f s (a librdkafka hang): exiting so the supervisor "
                        "restarts this stream process", what, limit_s)
        logging.shutdown()
        os._exit(STALLED_EXIT)

    timer = threading.Timer(limit_s, stalled)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
