"""Where a follow stream is: sent as each frame's SSE ``id``, read back from ``Last-Event-ID``.

A follower that reconnects (the webserver restarted, the network dropped it, it fell behind)
sends the id of the last frame it got, and the new stream starts right after it: the
snapshots it missed, then the log lines, then live events, none twice. Positions are Kafka
offsets on the execution's partition of each topic, so any webserver process can resume any
stream: ``<last snapshot's offset>.<next log record's offset>.<next line in that record>``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

__all__ = ["Cursor", "partition_of"]


def partition_of(key: bytes, partitions: int) -> int:
    """The partition librdkafka's default partitioner (``consistent_random``) puts ``key`` on,
    the one every Harrier producer uses: the key's CRC-32 modulo the partition count."""
    return zlib.crc32(key) % partitions


@dataclass(frozen=True, slots=True)
class Cursor:
    """What a stream has covered: snapshots up to ``state_offset`` (inclusive), log lines from
    ``log_offset``/``log_line`` on still to send."""

    state_offset: int
    log_offset: int
    log_line: int = 0

    @property
    def token(self) -> str:
        """The SSE ``id`` of a frame sent at this position."""
        return f"{self.state_offset}.{self.log_offset}.{self.log_line}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor a ``Last-Event-ID`` names; None for anything else (Kestra's ``progress``,
        a client's own id): such a follower starts afresh."""
        parts = (token or "").split(".")
        if len(parts) != 3 or not all(part.isdigit() or part == "-1" for part in parts):
            return None
        state, log, line = map(int, parts)
        return cls(state, max(log, 0), max(line, 0))

    def admits_snapshot(self, offset: int) -> bool:
        """True for a snapshot this stream has not covered (one read from elsewhere has no offset)."""
        return offset < 0 or offset > self.state_offset

    def admits_line(self, offset: int, line: int) -> bool:
        """True for a log line at or after the next one to send."""
        return (offset, line) >= (self.log_offset, self.log_line)

    def after_snapshot(self, offset: int) -> Cursor:
        return Cursor(offset, self.log_offset, self.log_line)

    def after_line(self, offset: int, line: int) -> Cursor:
        return Cursor(self.state_offset, offset, line + 1)
