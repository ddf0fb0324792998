"""The retention cleaner: delete daily log and metric indices older than the retention period.

Elasticsearch's integration-test distribution has no ILM, and Harrier does not need it: a
daily index holds one UTC day, so deleting by the date in the name is exact and cheap.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

from elasticsearch import Elasticsearch

from harrier.indexer.indices import DAILY_KINDS, IndexNames

__all__ = ["RetentionCleaner"]

logger = logging.getLogger("harrier.indexer")


class RetentionCleaner:
    """Deletes the daily indices whose whole day ended more than ``retention`` ago."""

    def __init__(self, es: Elasticsearch, names: IndexNames, retention: timedelta) -> None:
        if retention <= timedelta(0):
            raise ValueError(f"retention must be positive, got {retention}")
        self._es = es
        self._names = names
        self.retention = retention

    def expired(self, indices: list[str], today: date) -> list[str]:
        """The names among ``indices`` that are past retention on ``today`` (UTC)."""
        # An index is kept while any of its day is inside the period: its day ends at day+1.
        oldest_kept = today - timedelta(days=self.retention.days)
        expired = []
        for index in indices:
            for kind in DAILY_KINDS:
                day = self._names.day_of(kind, index)
                if day is not None and day < oldest_kept:
                    expired.append(index)
        return sorted(expired)

    def __call__(self, now: datetime | None = None) -> list[str]:
        """Delete the expired indices; return their names."""
        today = (now or datetime.now(timezone.utc)).date()
        patterns = ",".join(self._names.pattern(kind) for kind in DAILY_KINDS)
        existing = list(self._es.indices.get(index=patterns, expand_wildcards="open,closed"))
        expired = self.expired(existing, today)
        if expired:
            self._es.indices.delete(index=",".join(expired))
            logger.info("retention: deleted %d indices older than %s: %s", len(expired), self.retention, expired)
        return expired
