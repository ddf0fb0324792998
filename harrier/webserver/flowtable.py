"""The webserver's flow table: every flow (and the revisions it saw) from the ``flows`` topic.

One background consumer (``FlowFeed``) applies records here; request handlers read. The
table also remembers the revisions it read before compaction removed them, so
``?revision=`` works for every revision deployed while this process was up or still on
the topic.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from harrier.core.flows import Flow
from harrier.core.messages import FlowRecord
from harrier.core.validation import parse_flow

__all__ = ["FlowTable"]


@dataclass(slots=True)
class _Entry:
    revisions: dict[int, FlowRecord] = field(default_factory=dict)
    latest: int = 0
    parsed: dict[int, Flow] = field(default_factory=dict)


class FlowTable:
    """Flows by ``namespace/id``; safe to update from the feed thread while requests read."""

    def __init__(self) -> None:
        self._flows: dict[str, _Entry] = {}
        # (partition, offset) of the last record applied per flow, tombstones included.
        self._positions: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def apply(self, uid: str, record: FlowRecord | None, at: tuple[int, int] | None = None) -> None:
        """Apply one record of the topic: a revision, or a tombstone (None) deleting the flow.

        ``at`` is the record's (partition, offset). The deployer applies its own writes once
        the broker acknowledged them, and the feed reads them again later; a record at or
        before the last one applied for the flow is such an older write arriving late and is
        ignored (a CI run saw a deleted flow come back from the feed's copy of its creation).
        """
        with self._lock:
            if at is not None:
                last = self._positions.get(uid)
                if last is not None and last[0] == at[0] and at[1] <= last[1]:
                    return
                self._positions[uid] = at
            if record is None:
                self._flows.pop(uid, None)
                return
            entry = self._flows.setdefault(uid, _Entry())
            entry.revisions[record.revision] = record
            # Records of one key arrive in order; a lower revision is an older write replayed.
            entry.latest = max(entry.latest, record.revision)

    def latest(self, namespace: str, flow_id: str) -> FlowRecord | None:
        """The latest revision of a flow, or None if it is not deployed."""
        with self._lock:
            entry = self._flows.get(f"{namespace}/{flow_id}")
            return entry.revisions[entry.latest] if entry else None

    def revision(self, namespace: str, flow_id: str, revision: int) -> FlowRecord | None:
        """One revision of a flow, or None if the flow or the revision is unknown."""
        with self._lock:
            entry = self._flows.get(f"{namespace}/{flow_id}")
            return entry.revisions.get(revision) if entry else None

    def revisions(self, namespace: str, flow_id: str) -> list[FlowRecord]:
        """Every known revision of a flow, oldest first (empty if the flow is not deployed)."""
        with self._lock:
            entry = self._flows.get(f"{namespace}/{flow_id}")
            return [entry.revisions[r] for r in sorted(entry.revisions)] if entry else []

    def flows(self, namespace: str | None = None) -> list[FlowRecord]:
        """The latest revision of every flow, in ``namespace`` and its children when given."""
        with self._lock:
            records = [entry.revisions[entry.latest] for entry in self._flows.values()]
        if namespace is not None:
            records = [r for r in records if r.namespace == namespace or r.namespace.startswith(namespace + ".")]
        return sorted(records, key=lambda r: (r.namespace, r.id))

    def parsed(self, record: FlowRecord) -> Flow:
        """The Flow of a record, parsed once per revision.

        Raises ``FlowValidationError`` when the stored source no longer validates (a flow
        deployed by an older Harrier, or written to the topic by hand).
        """
        uid = record.uid
        with self._lock:
            entry = self._flows.get(uid)
            cached = entry.parsed.get(record.revision) if entry else None
        if cached is not None and cached.source == record.source:
            return cached
        flow = parse_flow(record.source, file=f"{uid}@{record.revision}")
        with self._lock:
            entry = self._flows.get(uid)
            if entry is not None:
                entry.parsed[record.revision] = flow
        return flow

    def __len__(self) -> int:
        with self._lock:
            return len(self._flows)
