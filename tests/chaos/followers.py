"""Followers: clients that follow executions over SSE the way ``harrier execution follow`` does.

Each follower opens the follow stream of an execution that does not exist yet (its id derives
from the ``Idempotency-Key`` of the create the run sends once the stream is open), so every
snapshot and log line of it is the follower's to see. It reads through
``harrier.cli.follow.follow_events``, the CLI's own reader, which reconnects with
``Last-Event-ID`` when the stream breaks; it records each frame (kind, data, id) and each
reconnect. The audit compares what each follower saw with the topics.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from harrier.cli.client import Api
from harrier.cli.exceptions import CliError
from harrier.cli.follow import follow_events
from harrier.webserver.launch import new_execution_id

__all__ = ["Followed", "Followers"]

# Long enough for the slowest run's drain.
_FOLLOW_FOR_S = 600.0


@dataclass
class Followed:
    """What one follower saw of its execution."""

    execution_id: str
    frames: list[tuple[str, Any, str | None]] = field(default_factory=list)
    reconnects: list[str] = field(default_factory=list)
    error: str | None = None
    # Streams answered 404 before the execution's first snapshot was written, opened again.
    reopened: int = 0
    opened: threading.Event = field(default_factory=threading.Event)


class Followers:
    """``count`` followers of as many executions of ``namespace/flow_id``, created through ``base_url``."""

    def __init__(self, base_url: str, namespace: str, flow_id: str, count: int) -> None:
        self._base_url = base_url
        self._namespace = namespace
        self._flow_id = flow_id
        run = uuid.uuid4().hex[:8]
        self._keys = [f"chaos-follow-{run}-{n}" for n in range(count)]
        self.followed = [Followed(new_execution_id(namespace, flow_id, key)) for key in self._keys]
        self._threads = [threading.Thread(target=self._follow, args=(f,), name=f"chaos-follow-{n}", daemon=True)
                         for n, f in enumerate(self.followed)]
        # The execution ids whose creates the webserver answered 2xx.
        self.accepted: set[str] = set()

    def start(self, timeout_s: float = 60.0) -> None:
        """Open every stream, then create the executions they follow; returns once each create
        was answered (retried with its key while the webserver does not answer)."""
        for thread in self._threads:
            thread.start()
        # A stream of an execution not yet seen waits for it (10 s); the request must reach
        # the webserver before the create does: a moment is plenty, the first frames tell.
        time.sleep(0.5)
        with httpx.Client(base_url=self._base_url, timeout=30) as client, ThreadPoolExecutor(len(self._keys)) as pool:
            list(pool.map(lambda pair: self._create(client, *pair, timeout_s), zip(self._keys, self.followed, strict=True)))
        for followed in self.followed:
            followed.opened.wait(timeout_s)

    def _create(self, client: httpx.Client, key: str, followed: Followed, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                response = client.post(f"/api/v1/executions/{self._namespace}/{self._flow_id}",
                                       headers={"Idempotency-Key": key})
                if response.is_success:
                    self.accepted.add(response.json()["id"])
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        followed.error = "its create was never answered"

    def join(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _follow(self, followed: Followed) -> None:
        deadline = time.monotonic() + _FOLLOW_FOR_S
        with Api(self._base_url) as api:
            try:
                while True:
                    try:
                        for kind, data, event_id in follow_events(api, followed.execution_id, deadline):
                            if kind == "reconnect":
                                followed.reconnects.append(data)
                            else:
                                followed.frames.append((kind, data, event_id))
                                followed.opened.set()
                        return
                    except CliError as exc:
                        # A stream waits 10 s for an execution nobody has seen: a busy executor
                        # may write the first snapshot later. Open it again (the lines logged
                        # in between are not this stream's: the audit counts them apart).
                        if followed.frames or "does not exist" not in str(exc) or time.monotonic() > deadline:
                            raise
                        followed.reopened += 1
                        time.sleep(0.5)
            except Exception as exc:  # noqa: BLE001 - the audit reports it as that follower's failure
                followed.error = f"{type(exc).__name__}: {exc}"
            finally:
                followed.opened.set()
