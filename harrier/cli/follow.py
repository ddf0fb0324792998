"""Following an execution to its end: `execution run --wait|--follow` and `execution follow`.

The follow stream (``GET /executions/{id}/follow``) sends Kestra's Execution body on each
change as an unnamed event (``id: progress``, the last one ``id: end``); Harrier also sends
each log line as a ``log`` event. Each frame's id is the stream's position: when the
stream breaks (the webserver restarted, a proxy cut it, the server dropped a slow reader)
the follower reconnects with it in ``Last-Event-ID`` and the server sends what it missed,
nothing twice. The exit code is the same whichever command waited: 0 on SUCCESS or
WARNING, 1 on any other end, 4 on a time-out.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from harrier.cli.client import Api, StreamBroken
from harrier.cli.exceptions import CliError, ExitCode
from harrier.cli.logs import log_line
from harrier.cli.messages import unknown_execution
from harrier.cli.output import duration_text, print_json, state_of

__all__ = ["follow_events", "follow_to_end", "report"]

# Kestra's ended states (Harrier's are among them); kept here so a command never imports the
# flow model (harrier.core), and so it follows a Kestra server's executions too.
_TERMINAL = frozenset({"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED", "RETRIED"})
_OK_STATES = frozenset({"SUCCESS", "WARNING"})
# Reconnects wait this long at first, twice as long each time after, up to the last.
_RETRY_S = (0.5, 5.0)


def follow_to_end(api: Api, execution_id: str, timeout: float, *, echo: bool) -> dict[str, Any]:
    """The execution's last body once it ended; with ``echo``, print each state change and
    log line as it arrives. ``CliError`` (exit 4) when it had not ended in ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    printer = _Printer() if echo else None
    try:
        for kind, data, _ in follow_events(api, execution_id, deadline):
            if kind == "reconnect":
                if echo:
                    print(f"-- {data}; reconnecting", file=sys.stderr, flush=True)
            elif kind == "message":
                last = data
                if printer:
                    printer.execution(data)
            elif kind == "log" and printer:
                print(log_line(data), flush=True)
    except TimeoutError:
        # The stream's last body may be older than the execution's: ask for the current one.
        current = api.json("GET", f"/executions/{execution_id}")
        raise CliError(f"timed out after {timeout:g} s: execution {execution_id} is still {state_of(current)}",
                       ExitCode.TIMED_OUT) from None
    if state_of(last) not in _TERMINAL:
        raise CliError(f"the follow stream of execution {execution_id} ended before the execution did "
                       f"(last seen {state_of(last)}): follow it again with `harrier execution follow {execution_id}`")
    return last


def follow_events(api: Api, execution_id: str, deadline: float) -> Iterator[tuple[str, Any, str | None]]:
    """(event, data, id) of the execution's follow stream up to its end frame, across
    reconnects, each announced by a ``reconnect`` event saying why; ``TimeoutError`` at
    ``deadline``. A server that cannot be reached at the first try is an error at once; once
    the stream was open, a break is retried until the deadline."""
    path, last_id, wait = f"/executions/{execution_id}/follow", None, _RETRY_S[0]
    opened = False
    while True:
        try:
            for kind, data, event_id in api.events(path, deadline, missing=unknown_execution(execution_id),
                                                    last_event_id=last_id):
                opened, last_id, wait = True, event_id or last_id, _RETRY_S[0]
                if kind != "dropped":
                    yield kind, data, event_id
                if event_id == "end":
                    return
            why = "the server closed the stream"
        except StreamBroken as exc:
            if not opened:
                raise (exc.__cause__ or CliError(str(exc))) from None
            why = str(exc)
        if time.monotonic() + wait >= deadline:
            raise TimeoutError
        yield "reconnect", why, last_id
        time.sleep(wait)
        wait = min(wait * 2, _RETRY_S[1])


class _Printer:
    """Prints what changed between two bodies: the execution's state, and each task run that ended."""

    def __init__(self) -> None:
        self._state: str | None = None
        self._ended: set[str] = set()

    def execution(self, body: dict[str, Any]) -> None:
        runs = body.get("taskRunList") or []
        parents = {run.get("parentTaskRunId") for run in runs}
        # In the order they ended, a parent (a ForEach) after its children when they end together.
        for task_run in sorted(runs, key=lambda run: (_ended_at(run), run["id"] in parents)):
            state = state_of(task_run)
            if state in _TERMINAL and task_run["id"] not in self._ended:
                self._ended.add(task_run["id"])
                value = f"[{task_run['value']}]" if task_run.get("value") is not None else ""
                took = duration_text((task_run.get("state") or {}).get("duration"))
                print(f"-- task {task_run['taskId']}{value} {state}" + (f" in {took}" if took else ""), flush=True)
        if (state := state_of(body)) != self._state:
            self._state = state
            print(f"-- execution {state}", flush=True)


def _ended_at(run: dict[str, Any]) -> datetime:
    end = (run.get("state") or {}).get("endDate")
    return datetime.fromisoformat(end) if end else datetime.max.replace(tzinfo=timezone.utc)


def report(final: dict[str, Any], *, as_json: bool) -> int:
    """Print the end of an execution (its state, error and outputs); the exit code it means."""
    state = state_of(final)
    if as_json:
        print_json(final)
    else:
        print(f"final state: {state}")
        if final.get("error"):
            print(f"error: {final['error']}", file=sys.stderr)
        if final.get("outputs"):
            print("outputs:")
            print_json(final["outputs"])
    return ExitCode.OK if state in _OK_STATES else ExitCode.FAILED
