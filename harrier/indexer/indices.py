"""Index names: one index each for executions and flows, daily indices for logs and metrics.

Logs and metrics go to ``<prefix>logs-YYYY.MM.DD`` by the UTC day of their own timestamp, so
retention is deleting whole indices by the date in their name (the integration-test
distribution of Elasticsearch has no ILM). Searches use the wildcard ``<prefix>logs-*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from harrier.indexer.exceptions import DocumentError

__all__ = ["DAILY_KINDS", "IndexNames", "utc_day"]

DAILY_KINDS: tuple[str, ...] = ("logs", "metrics")

_DAY = re.compile(r"(\d{4})\.(\d{2})\.(\d{2})")


@dataclass(frozen=True, slots=True)
class IndexNames:
    """The index names under one prefix (``elasticsearch.index-prefix``)."""

    prefix: str

    @property
    def executions(self) -> str:
        return f"{self.prefix}executions"

    @property
    def flows(self) -> str:
        return f"{self.prefix}flows"

    def pattern(self, kind: str) -> str:
        """The wildcard matching every daily index of ``kind`` (``logs`` or ``metrics``)."""
        return f"{self.prefix}{kind}-*"

    def daily(self, kind: str, day: str) -> str:
        """The index of ``kind`` for ``day`` given as ``YYYY-MM-DD``."""
        return f"{self.prefix}{kind}-{day[0:4]}.{day[5:7]}.{day[8:10]}"

    def day_of(self, kind: str, index: str) -> date | None:
        """The day a daily index of ``kind`` holds, or None if ``index`` is not one."""
        head = f"{self.prefix}{kind}-"
        if not index.startswith(head):
            return None
        match = _DAY.fullmatch(index[len(head) :])
        if match is None:
            return None
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None


def utc_day(timestamp: object) -> str:
    """The UTC day (``YYYY-MM-DD``) of an ISO-8601 timestamp; ``DocumentError`` if it is not one.

    Harrier's models write UTC with a ``Z``: that common case is a slice, not a parse.
    """
    if type(timestamp) is not str:
        raise DocumentError(f"timestamp: expected an ISO-8601 string, got {timestamp!r}")
    if timestamp.endswith("Z") and len(timestamp) >= 20 and timestamp[4] == "-":
        return timestamp[:10]
    try:
        parsed = datetime.fromisoformat(timestamp)
    except ValueError:
        raise DocumentError(f"timestamp: {timestamp!r} is not ISO-8601") from None
    if parsed.tzinfo is None:
        raise DocumentError(f"timestamp: {timestamp!r} has no time zone")
    return parsed.astimezone(timezone.utc).date().isoformat()
