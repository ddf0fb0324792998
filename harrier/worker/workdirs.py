"""Where task runs work, and as whom their scripts run.

A worker started as root (a container's default) would run every script as root, able to
read the worker's configuration, internal storage and other task runs' folders. Then scripts
run as ``worker.script-user`` (``nobody`` by default), each task run in a folder of its own
that only that user can open: folders live under one root-owned parent that can be crossed
but not listed (0711), with unguessable names, so a script cannot find another run's folder,
and internal storage files are 0600 root's (``LocalStorage``). A worker that is not root runs
scripts as itself, in private folders (0700) all the same.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ScriptUser", "WorkDirs", "script_user"]


@dataclass(frozen=True, slots=True)
class ScriptUser:
    """The unprivileged account scripts run as."""

    name: str
    uid: int
    gid: int


def script_user(name: str) -> ScriptUser | None:
    """The user to run scripts as: ``name`` when this process is root, None otherwise (or
    when ``name`` is empty); ValueError when the account does not exist."""
    if not name or os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ValueError(f"worker.script-user: no user {name!r} on this machine (create it, or set '' to run scripts as root)") from None
    return ScriptUser(name, entry.pw_uid, entry.pw_gid)


class WorkDirs:
    """Creates the private folder of each task run under one parent of this process."""

    def __init__(self, user: ScriptUser | None = None) -> None:
        self.user = user
        self._root: Path | None = None

    def create(self, label: str) -> Path:
        """A new folder only the script user (or this process) can open."""
        if self._root is None or not self._root.is_dir():
            self._root = Path(tempfile.mkdtemp(prefix="harrier-work-"))
            self._root.chmod(0o711)
        path = self._root / f"{label}-{secrets.token_hex(16)}"
        path.mkdir(mode=0o700)
        if self.user is not None:
            os.chown(path, self.user.uid, self.user.gid)
        return path

    def hand_over(self, path: Path) -> None:
        """Make everything under ``path`` the script user's."""
        if self.user is None:
            return
        for folder, names, files in os.walk(path):
            for name in (*names, *files):
                os.chown(os.path.join(folder, name), self.user.uid, self.user.gid, follow_symlinks=False)

    def remove(self, path: Path) -> None:
        """Delete a folder and everything the script left in it."""
        shutil.rmtree(path, ignore_errors=True)
