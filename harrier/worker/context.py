"""The run context: what a task's `run` gets besides its rendered properties.

It carries the task run's logger and metrics, internal storage, the KV store, a private
working directory, and the cancellation signal. Cancellation (a kill request or a timeout) sets the
signal and kills every subprocess the task attached, so a blocking task stops even when it
is waiting on a child process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions.files import readable_uri
from harrier.core.kv import KVStore
from harrier.core.messages import WorkerTask
from harrier.storage.base import Storage
from harrier.storage.exceptions import StorageFileNotFound
from harrier.storage.uris import task_file_uri
from harrier.worker import directories
from harrier.worker.exceptions import TaskFailure
from harrier.worker.logs import TaskLogger
from harrier.worker.metrics import TaskMetrics
from harrier.worker.workdirs import ScriptUser, WorkDirs

__all__ = ["RunContext"]


class RunContext:
    """Services for one task run; `run` functions use it, never the worker itself."""

    def __init__(
        self, record: WorkerTask, logger: TaskLogger, metrics: TaskMetrics, storage: Storage,
        workdirs: WorkDirs | None = None, kv: KVStore | None = None,
    ) -> None:
        self.record = record
        self.kv = kv
        self.logger = logger
        self.metrics = metrics
        self.storage = storage
        self.warnings: list[str] = []
        self._cancelled = threading.Event()
        self._processes: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._working_dir: Path | None = None
        self._workdirs = workdirs or _OWN_WORKDIRS

    @property
    def cancelled(self) -> bool:
        """True once the run was asked to stop (killed or timed out)."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Ask the run to stop: set the signal and kill its subprocesses (and their children)."""
        self._cancelled.set()
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            _kill_group(process)

    def attach_process(self, process: subprocess.Popen[bytes]) -> None:
        """Register a subprocess (started with `start_new_session=True`) to kill on cancel."""
        with self._lock:
            self._processes.add(process)
        if self.cancelled:
            _kill_group(process)

    def detach_process(self, process: subprocess.Popen[bytes]) -> None:
        """Forget a subprocess that has ended."""
        with self._lock:
            self._processes.discard(process)

    @property
    def script_user(self) -> ScriptUser | None:
        """Whom the run's scripts run as (None: this process's own user)."""
        return self._workdirs.user

    def working_dir(self) -> Path:
        """A private folder for this run, created on first use and removed when the run ends;
        inside a WorkingDirectory, it holds what the previous child left."""
        if self._working_dir is None:
            self._working_dir = self._workdirs.create(self.record.task_id)
            if self.record.working_directory is not None:
                directories.restore(self, self.record.working_directory, self._working_dir)
        return self._working_dir

    def finish_directory(self) -> dict[str, str] | None:
        """Inside a WorkingDirectory, after a success: keep the folder for the next child and
        store the directory's output files (returned, name -> URI); None outside one."""
        ref = self.record.working_directory
        if ref is None:
            return None
        return directories.save(self, ref, self.working_dir())

    def hand_over_working_dir(self) -> None:
        """Give the script user what the worker wrote into the working folder (input files,
        the script, the outputs folder), before the script starts."""
        if self._working_dir is not None:
            self._workdirs.hand_over(self._working_dir)

    def warn(self, reason: str) -> None:
        """End the run in WARNING instead of SUCCESS, for `reason`."""
        self.warnings.append(reason)

    def file_uri(self, name: str) -> str:
        """The internal storage URI of file `name` of this task run."""
        record = self.record
        return task_file_uri(record.namespace, record.flow_id, record.execution_id, record.task_id, record.task_run_id, name)

    def store_file(self, name: str, path: Path) -> str:
        """Copy a local file into internal storage as `name`; return its ``kestra:///`` URI."""
        return self.storage.put(self.file_uri(name), path)

    def readable(self, uri: str, where: str) -> str:
        """`uri` checked to be a file this execution may read (its own, its parent's, its
        namespace's, as expressions' `read()`); `TaskFailure` naming `where` if not."""
        record = self.record
        variables = {
            "flow": {"id": record.flow_id, "namespace": record.namespace},
            "execution": {"id": record.execution_id},
            "trigger": record.context.get("trigger"),
        }
        try:
            return readable_uri(variables, where, uri)
        except HarrierExpressionError as exc:
            raise TaskFailure(str(exc)) from None

    def fetch_file(self, uri: str, target: Path, where: str) -> None:
        """Copy the stored file `uri` (checked by `readable`) to the local file `target`."""
        checked = self.readable(uri, where)
        try:
            with self.storage.open(checked) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
        except StorageFileNotFound:
            raise TaskFailure(f"{where}: no file stored at {uri}") from None

    def close(self) -> None:
        """Remove the working directory."""
        if self._working_dir is not None:
            self._workdirs.remove(self._working_dir)
            self._working_dir = None


# Folders of runs given no WorkDirs (tests, tools): private to this process's user.
_OWN_WORKDIRS = WorkDirs()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
