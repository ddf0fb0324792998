"""Tunables of one webserver app that are not user settings: time-outs, buffer sizes, the UI's folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["UI_DIST", "WebserverOptions"]

# Where `npm run build` in ui/ writes the app, inside the package so an install carries it.
UI_DIST = Path(__file__).parent / "ui_dist"


@dataclass(frozen=True, slots=True)
class WebserverOptions:
    """Defaults suit production; tests shorten the waits."""

    # Events a follower may have waiting before it is dropped as too slow. Events are shared
    # between followers, so a slot costs a reference, not a copy; a burst larger than this
    # within one poll of the feed would drop even a fast client.
    follower_mailbox: int = 10_000
    # A follow stream stays open this long after the terminal snapshot for trailing logs,
    # which travel on another topic and may arrive after it.
    follow_grace_s: float = 1.0
    # How long a follow of an execution nobody has seen waits for its first snapshot.
    follow_unknown_wait_s: float = 10.0
    # Keep-alive comment interval on idle follow streams.
    follow_keepalive_s: float = 15.0
    # Longest ``?wait=true`` on an execution create.
    max_wait_s: float = 3600.0
    # Latest snapshots remembered for fresh reads (executions, not bytes).
    snapshot_cache: int = 10_000
    # How long start-up waits for the flow table to catch up with the flows topic.
    startup_timeout_s: float = 30.0
    # The built web UI served at / (tests point it at a folder of their own).
    ui_dir: Path = UI_DIST
