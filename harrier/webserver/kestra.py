"""Harrier's records as the bodies Kestra 1.x's API answers: the one renderer of the API.

Pure functions of JSON-shaped data (an execution snapshot as ``Execution.to_json`` writes it,
an Elasticsearch search hit, a log line, a flow record and its parsed flow), so a unit test
can check every body against Kestra's own client models (``kestrapy``). Names are Kestra's
(camelCase); what Harrier has and Kestra has not rides along as extra camelCase fields
(``error``, ``iterationPath``, ``branch``, ``offset``/``line`` of a log line, ...).

Datetimes are UTC ISO-8601 ending in ``Z``; durations ISO-8601 (``PT0.123S``). Attempts and
log ``attemptNumber`` count from 0 as Kestra's do (Harrier numbers attempts from 1).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson

from harrier.core.durations import format_duration
from harrier.core.flowinfo import next_fire
from harrier.core.flows import Flow
from harrier.core.messages import CreateExecution, FlowRecord
from harrier.core.states import TERMINAL, State
from harrier.core.triggers import Schedule

__all__ = [
    "created_body",
    "execution_body",
    "execution_hit_body",
    "flow_body",
    "labels_body",
    "log_entry_body",
    "paged_body",
    "state_body",
    "utc",
]

# Kestra gives an end date to terminal and paused states (State.getEndDate).
_ENDED = frozenset(TERMINAL | {State.PAUSED})


def utc(value: str | datetime | None) -> str | None:
    """An ISO-8601 datetime (any zone) as UTC ending in ``Z``; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        # Snapshots carry UTC already (pydantic writes Z): thousands per body, so no parse.
        if value.endswith("Z"):
            return value
        if value.endswith("+00:00"):
            return value[:-6] + "Z"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def state_body(current: str, history: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Kestra's State: the current state, its histories, start and end dates and duration
    (from the first change to the last, or to ``now`` while only one change happened)."""
    histories = [{"state": change["state"], "date": utc(change["at"])} for change in history]
    if not histories:
        # A state without history (a summary document): it started and ended nowhere known.
        return {"current": current, "histories": [], "startDate": None, "endDate": None, "duration": None}
    first = datetime.fromisoformat(history[0]["at"])
    last = datetime.fromisoformat(history[-1]["at"]) if len(history) > 1 else now
    return {
        "current": current,
        "histories": histories,
        "startDate": histories[0]["date"],
        "endDate": histories[-1]["date"] if current in _ENDED else None,
        "duration": format_duration(last - first),
    }


def labels_body(labels: object) -> list[dict[str, str]]:
    """Labels as Kestra's ``[{key, value}]`` from a mapping or an already listed form."""
    if isinstance(labels, dict):
        return [{"key": str(key), "value": str(value)} for key, value in labels.items()]
    if isinstance(labels, list):
        return [
            {"key": str(item["key"]), "value": str(item["value"])}
            for item in labels
            if isinstance(item, dict) and "key" in item and "value" in item
        ]
    return []


def execution_body(snapshot: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Kestra's Execution of a Harrier execution snapshot (``harrier.core.executions``)."""
    execution_id = snapshot["id"]
    parent = snapshot.get("parent") or {}
    body: dict[str, Any] = {
        "id": execution_id,
        "namespace": snapshot["namespace"],
        "flowId": snapshot["flow_id"],
        "flowRevision": snapshot.get("flow_revision") or 1,
        "state": state_body(snapshot["state"], snapshot.get("history") or [], now),
        "taskRunList": [
            _task_run_body(run, snapshot, now) for run in snapshot.get("task_runs") or []
        ],
        "inputs": snapshot.get("inputs") or {},
        "outputs": snapshot.get("outputs") or {},
        "labels": labels_body(snapshot.get("labels")),
        "trigger": _trigger_body(snapshot.get("trigger")),
        "parentId": parent.get("execution_id"),
        "originalId": execution_id,
        "deleted": False,
        "metadata": {
            "attemptNumber": _restarts(snapshot.get("history") or []) + 1,
            "originalCreatedDate": utc(snapshot.get("created_at")),
        },
    }
    if parent:
        body["parentTaskRunId"] = parent.get("task_run_id")
    if snapshot.get("error"):
        body["error"] = snapshot["error"]
    return body


def execution_hit_body(hit: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Kestra's Execution of an executions search hit: its snapshot without the task runs and
    the outputs (the search leaves them out), or, for a document without one, what its
    summary holds."""
    snapshot = hit.get("execution")
    if isinstance(snapshot, dict) and "id" in snapshot:
        body = execution_body(snapshot, now)
        del body["taskRunList"], body["outputs"]
        return body
    history = [{"state": State.CREATED.value, "at": hit["start_date"]}] if hit.get("start_date") else []
    if hit.get("end_date"):
        history.append({"state": hit["state"], "at": hit["end_date"]})
    summary = {
        "id": hit["id"], "namespace": hit.get("namespace") or "", "flow_id": hit.get("flow_id") or "",
        "flow_revision": hit.get("flow_revision"), "state": hit.get("state") or State.CREATED.value,
        "history": history, "labels": hit.get("labels"), "created_at": hit.get("start_date"),
        "parent": {"execution_id": hit["parent_id"]} if hit.get("parent_id") else None,
    }
    body = execution_body(summary, now)
    del body["taskRunList"], body["outputs"]
    return body


def created_body(command: CreateExecution, now: datetime) -> dict[str, Any]:
    """What a create answers before the executor wrote the first snapshot: CREATED."""
    at = command.created_at.isoformat()
    return execution_body(
        {
            "id": command.execution_id, "namespace": command.namespace, "flow_id": command.flow_id,
            "flow_revision": command.revision, "state": State.CREATED.value,
            "history": [{"state": State.CREATED.value, "at": at}],
            "inputs": command.model_dump(mode="json")["inputs"], "labels": command.labels,
            "trigger": command.trigger, "created_at": at,
            "parent": command.parent.model_dump(mode="json") if command.parent else None,
        },
        now,
    )


def log_entry_body(line: dict[str, Any]) -> dict[str, Any]:
    """Kestra's LogEntry of one log line (``harrier.core.logbatches.split_batch``); ``offset``
    and ``line`` (its batch's Kafka offset and its place in the batch) identify it."""
    attempt = line.get("attempt")
    body = {
        "namespace": line.get("namespace"),
        "flowId": line.get("flow_id"),
        "taskId": line.get("task_id"),
        "executionId": line.get("execution_id"),
        "taskRunId": line.get("task_run_id"),
        "attemptNumber": attempt - 1 if isinstance(attempt, int) else None,
        "triggerId": None,
        "timestamp": utc(line.get("timestamp")),
        "level": line.get("level"),
        "thread": None,
        "message": line.get("message"),
    }
    if "offset" in line:
        body["offset"] = line["offset"]
        body["line"] = line.get("line")
    return body


def flow_body(record: FlowRecord, flow: Flow | None, now: datetime) -> dict[str, Any]:
    """Kestra's FlowWithSource of a deployed revision: the parsed flow with its YAML keys and
    the source; a Schedule trigger adds ``nextDate``, its next fire time after ``now`` (null
    when it or the flow is disabled). ``flow`` None (a source this Harrier cannot parse)
    gives what the record alone holds."""
    body: dict[str, Any] = {"tasks": []}
    if flow is not None:
        body = flow.model_dump(mode="json", by_alias=True, exclude_none=True)
        body["labels"] = labels_body(body.get("labels"))
        body["triggers"] = [
            _trigger_with_next(trigger, dumped, flow.disabled, now)
            for trigger, dumped in zip(flow.triggers or [], body.get("triggers") or [], strict=True)
        ]
    body.update(
        id=record.id,
        namespace=record.namespace,
        revision=record.revision,
        source=record.source,
        disabled=flow.disabled if flow is not None else False,
        deleted=False,
        draft=False,
    )
    return body


def paged_body(results: list[dict[str, Any]], total: int, next_cursor: str | None) -> dict[str, Any]:
    """Kestra's PagedResults; ``nextCursor`` is Harrier's, for listings past 10,000 results."""
    return {"results": results, "total": total, "nextCursor": next_cursor}


def _task_run_body(run: dict[str, Any], snapshot: dict[str, Any], now: datetime) -> dict[str, Any]:
    value = run.get("value")
    body: dict[str, Any] = {
        "id": run["id"],
        "executionId": snapshot["id"],
        "namespace": snapshot["namespace"],
        "flowId": snapshot["flow_id"],
        "taskId": run["task_id"],
        "parentTaskRunId": run.get("parent_task_run_id"),
        # Kestra's value is a string (a ForEach item as rendered); Harrier keeps the item.
        "value": value if value is None or isinstance(value, str) else _json_text(value),
        "state": state_body(run["state"], run.get("history") or [], now),
        "attempts": [_attempt_body(attempt, now) for attempt in run.get("attempts") or []],
        "outputs": run.get("outputs") or {},
    }
    if run.get("iteration"):
        body["iterationPath"] = list(run["iteration"])
    for extra in ("branch", "items", "error"):
        if run.get(extra) is not None:
            body[extra] = run[extra]
    return body


def _attempt_body(attempt: dict[str, Any], now: datetime) -> dict[str, Any]:
    history = [{"state": State.RUNNING.value, "at": attempt["started_at"]}]
    if attempt.get("ended_at") and attempt["state"] != State.RUNNING.value:
        history.append({"state": attempt["state"], "at": attempt["ended_at"]})
    body = {"state": state_body(attempt["state"], history, now)}
    if attempt.get("error"):
        body["error"] = attempt["error"]
    return body


def _trigger_body(trigger: object) -> dict[str, Any] | None:
    """Kestra's ExecutionTrigger: the trigger's id and type, its other variables aside."""
    if not isinstance(trigger, dict):
        return None
    variables = {key: value for key, value in trigger.items() if key not in ("id", "type")}
    return {"id": str(trigger.get("id", "")), "type": str(trigger.get("type", "")), "variables": variables}


def _trigger_with_next(trigger: Any, dumped: dict[str, Any], flow_disabled: bool, now: datetime) -> dict[str, Any]:
    if isinstance(trigger, Schedule):
        off = trigger.disabled or flow_disabled
        dumped["nextDate"] = None if off else utc(next_fire(trigger, now).replace(microsecond=0))
    return dumped


def _restarts(history: list[dict[str, Any]]) -> int:
    """How many times the execution left a terminal state (a restart)."""
    terminal = {state.value for state in TERMINAL}
    return sum(
        1 for before, after in zip(history, history[1:]) if before["state"] in terminal and after["state"] not in terminal
    )


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()
