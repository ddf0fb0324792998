"""Fan-out of execution events to followers: one feed in, a bounded mailbox per follower.

The feed (one Kafka consumer per process, ``followfeed.py``) hands batches of events to
``FanOut.deliver`` on the event loop; each event goes to the followers of its execution
only. A follower whose mailbox is full is dropped at once (its stream ends with a
``dropped`` event) so a slow client never holds back the feed or the other followers.

Pure asyncio: no Kafka here, so the fan-out is unit-tested without a broker.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable

from harrier.core.states import TERMINAL, State

__all__ = ["Event", "FanOut", "Follower", "execution_event", "terminal_state"]

_TERMINAL_NAMES = frozenset(state.value for state in TERMINAL)


class Event:
    """One thing that happened to an execution: a new snapshot or a log line.

    ``data`` is the JSON payload as it travelled on Kafka (Harrier's snapshot or log line);
    ``offset`` is its record's offset on the execution's partition (-1 when it was read from
    elsewhere: Elasticsearch), and ``line`` a log line's index in its batch.
    """

    __slots__ = ("body", "data", "execution_id", "kind", "line", "offset", "state")

    def __init__(
        self, kind: str, execution_id: str, data: bytes, state: str | None = None, offset: int = -1, line: int = 0,
    ) -> None:
        self.kind = kind
        self.execution_id = execution_id
        self.data = data
        self.state = state
        self.offset = offset
        self.line = line
        # The API's JSON of ``data``, rendered once by the first follower that sends it and
        # shared by the others (an execution's followers all send the same bytes).
        self.body: bytes | None = None

    @property
    def terminal(self) -> bool:
        """True for a snapshot of an execution in a terminal state."""
        return terminal_state(self.state)


def terminal_state(state: str | None) -> bool:
    """True if ``state`` (as written in a snapshot) is a terminal state."""
    return state in _TERMINAL_NAMES


def execution_event(execution_id: str, data: bytes, state: str | None, offset: int = -1) -> Event:
    """A snapshot event; ``state`` is the execution's state as written (e.g. ``RUNNING``)."""
    return Event("execution", execution_id, data, state if state in State.__members__ else None, offset)


class Follower:
    """One subscriber's bounded mailbox of events for one execution."""

    __slots__ = ("_events", "_limit", "_ready", "dropped", "execution_id")

    def __init__(self, execution_id: str, limit: int) -> None:
        self.execution_id = execution_id
        self._events: deque[Event] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self.dropped = False

    def offer(self, event: Event) -> bool:
        """Queue one event; False (and ``dropped`` set) when the mailbox was full."""
        if len(self._events) >= self._limit:
            self.dropped = True
            self._events.clear()
            self._ready.set()
            return False
        self._events.append(event)
        self._ready.set()
        return True

    async def take(self, timeout_s: float | None = None) -> list[Event]:
        """Every queued event, waiting up to ``timeout_s`` for one (empty list on time-out)."""
        if not self._events and not self.dropped:
            try:
                await asyncio.wait_for(self._ready.wait(), timeout_s)
            except TimeoutError:
                return []
        self._ready.clear()
        events = list(self._events)
        self._events.clear()
        return events


class FanOut:
    """Followers by execution id; ``deliver`` runs on the event loop, ``wants`` from any thread."""

    def __init__(self, mailbox_size: int = 10_000) -> None:
        self.mailbox_size = mailbox_size
        self._followers: dict[str, set[Follower]] = {}
        self.delivered = 0
        self.dropped = 0

    def follow(self, execution_id: str) -> Follower:
        """A new follower of ``execution_id``; call ``unfollow`` when done with it."""
        follower = Follower(execution_id, self.mailbox_size)
        self._followers.setdefault(execution_id, set()).add(follower)
        return follower

    def unfollow(self, follower: Follower) -> None:
        """Stop delivering to ``follower`` (idempotent)."""
        followers = self._followers.get(follower.execution_id)
        if followers is None:
            return
        followers.discard(follower)
        if not followers:
            del self._followers[follower.execution_id]

    def wants(self, execution_id: str) -> bool:
        """True if anyone follows ``execution_id``: the feed decodes only those records.

        Read from the feed's thread: a single dict lookup, safe under the GIL; ``deliver``
        checks again on the loop.
        """
        return execution_id in self._followers

    def deliver(self, events: Iterable[Event]) -> None:
        """Offer each event to the followers of its execution; drop those that are full."""
        for event in events:
            followers = self._followers.get(event.execution_id)
            if not followers:
                continue
            for follower in tuple(followers):
                if follower.offer(event):
                    self.delivered += 1
                else:
                    self.dropped += 1
                    self.unfollow(follower)

    def followed(self) -> list[str]:
        """The execution ids someone follows right now."""
        return list(self._followers)

    @property
    def followers(self) -> int:
        """How many followers are subscribed right now."""
        return sum(len(followers) for followers in self._followers.values())
