"""Running a child process from a worker thread: stream its output, stop it on cancel.

Both pipes are read from the calling thread with a selector (no helper threads), line by
line. The child starts in its own session so a kill reaches its whole process group
(`sh -c` and everything it started).
"""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from harrier.worker.context import RunContext
from harrier.worker.exceptions import TaskFailure

__all__ = ["run_process"]

LineHandler = Callable[[str], None]

_POLL_S = 0.1
# After a kill, how long to wait for pipes held open by a process that escaped the group.
_DRAIN_AFTER_KILL_S = 2.0


def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    context: RunContext,
    on_stdout: LineHandler,
    on_stderr: LineHandler,
) -> int:
    """Run `argv` to completion and return its exit code (negative: killed by that signal).

    It runs as the context's script user when there is one (a root worker's scripts do not
    run as root), with no supplementary groups.
    """
    user = context.script_user
    as_user = {} if user is None else {"user": user.uid, "group": user.gid, "extra_groups": []}
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            **as_user,  # type: ignore[arg-type]
        )
    except OSError as exc:
        raise TaskFailure(f"cannot start {argv[0]!r}: {exc.strerror or exc}") from None
    context.attach_process(process)
    try:
        _pump(process, context, on_stdout, on_stderr)
        return process.wait()
    finally:
        context.detach_process(process)
        if process.poll() is None:
            process.kill()
            process.wait()


def _pump(process: subprocess.Popen[bytes], context: RunContext, on_stdout: LineHandler, on_stderr: LineHandler) -> None:
    assert process.stdout is not None and process.stderr is not None
    handlers = {process.stdout.fileno(): on_stdout, process.stderr.fileno(): on_stderr}
    pending = {fd: b"" for fd in handlers}
    give_up_at: float | None = None
    with selectors.DefaultSelector() as selector:
        for fd in handlers:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select(timeout=_POLL_S):
                fd = key.fd
                chunk = os.read(fd, 65536)
                if not chunk:
                    selector.unregister(fd)
                    if pending[fd]:
                        handlers[fd](_text(pending[fd]))
                        pending[fd] = b""
                    continue
                *lines, pending[fd] = (pending[fd] + chunk).split(b"\n")
                for line in lines:
                    handlers[fd](_text(line))
            if context.cancelled:
                if give_up_at is None:
                    give_up_at = time.monotonic() + _DRAIN_AFTER_KILL_S
                elif time.monotonic() > give_up_at:
                    return


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\r").decode("utf-8", "replace")
