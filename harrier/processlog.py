"""How every Harrier process writes its log: one line per event, UTC timestamps ending in Z.

``configure`` takes the place of ``logging.basicConfig`` in each process (a component, an
executor stream process). The Elasticsearch client's transport would write an INFO line per
request (every bulk the indexer sends, every search the webserver makes): it is kept to
warnings, as uvicorn's access log is off (``run_webserver``). The log is for the components'
events; the metrics count the requests.
"""

from __future__ import annotations

import logging
import time

__all__ = ["configure"]


class _UtcFormatter(logging.Formatter):
    """``2026-12-03T18:00:00.250Z``: the timestamps the API, the logs topic and the CLI use."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(record.created))}.{int(record.msecs):03d}Z"


def configure(*, process_name: bool = False) -> None:
    """Log INFO and above to stderr; ``process_name`` adds it (the executor's ``stream-0``)."""
    where = " %(processName)s" if process_name else ""
    handler = logging.StreamHandler()
    handler.setFormatter(_UtcFormatter(f"%(asctime)s{where} %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
