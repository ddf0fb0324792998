"""Task loggers: level filtering, secret masking, and where the lines go.

Each task run gets a `TaskLogger`. Lines below the task's `logLevel` are dropped, secret
values are masked, and the line is handed to a sink: the worker's `logs` buffer (shipped to
the `logs` topic by the loop, a `LogBatch` per task run) or, with `logToFile`, a `FileLog`
that is uploaded to internal storage when the run ends. A line is a plain tuple until the
loop batches it: a task that logs 100,000 lines pays for no model per line.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from harrier.core.logbatches import Line
from harrier.core.messages import WorkerTask
from harrier.core.secrets import mask
from harrier.core.tasks.base import LogLevel
from harrier.storage.base import Storage

__all__ = ["LEVEL_ORDER", "FileLog", "TaskLogger", "level_enabled"]

LEVEL_ORDER: dict[LogLevel, int] = {
    LogLevel.TRACE: 0,
    LogLevel.DEBUG: 1,
    LogLevel.INFO: 2,
    LogLevel.WARN: 3,
    LogLevel.ERROR: 4,
}

LogWriter = Callable[[Line], None]


def level_enabled(level: LogLevel, threshold: LogLevel | None) -> bool:
    """True when a line at `level` passes a task's `logLevel` (None lets everything through)."""
    return threshold is None or LEVEL_ORDER[level] >= LEVEL_ORDER[threshold]


class TaskLogger:
    """The logger of one task run; safe to call from the task's thread or coroutine."""

    __slots__ = ("_record", "_write", "threshold")

    def __init__(self, record: WorkerTask, threshold: LogLevel | None, write: LogWriter) -> None:
        self._record = record
        self._write = write
        self.threshold = threshold

    def log(self, level: LogLevel, message: str) -> None:
        """Emit `message` at `level` unless the task's logLevel filters it out."""
        if not level_enabled(level, self.threshold):
            return
        self._write((self._record, datetime.now(timezone.utc), level, mask(message)))

    def trace(self, message: str) -> None:
        """Log at TRACE."""
        self.log(LogLevel.TRACE, message)

    def debug(self, message: str) -> None:
        """Log at DEBUG."""
        self.log(LogLevel.DEBUG, message)

    def info(self, message: str) -> None:
        """Log at INFO."""
        self.log(LogLevel.INFO, message)

    def warn(self, message: str) -> None:
        """Log at WARN."""
        self.log(LogLevel.WARN, message)

    def error(self, message: str) -> None:
        """Log at ERROR."""
        self.log(LogLevel.ERROR, message)


class FileLog:
    """Log lines of one task run written to a local temp file, then stored whole."""

    def __init__(self) -> None:
        handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", prefix="harrier-log-", suffix=".txt", delete=False)
        self._file = handle
        self.path = Path(handle.name)
        self.lines = 0

    def write(self, line: Line) -> None:
        """Append one line: ISO timestamp, level, message."""
        _, timestamp, level, message = line
        self._file.write(f"{timestamp.isoformat().replace('+00:00', 'Z')} {level.value} {message}\n")
        self.lines += 1

    def store(self, storage: Storage, uri: str) -> str:
        """Close the file, copy it to `uri` in internal storage, delete it; return the URI."""
        self._file.close()
        try:
            return storage.put(uri, self.path)
        finally:
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        """Close and delete the file without storing it."""
        self._file.close()
        self.path.unlink(missing_ok=True)
