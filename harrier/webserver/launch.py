"""Starting an execution: resolve the flow, coerce inputs, store files, send CreateExecution."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

from harrier.core.exceptions import FlowValidationError, InputValidationError
from harrier.core.executionids import execution_id as derived_id
from harrier.core.flows import Flow
from harrier.core.inputs import coerce_inputs
from harrier.core.messages import CreateExecution, FlowRecord
from harrier.topics.records import encode_command
from harrier.webserver.exceptions import Conflict, NotFound, TooLarge, Unprocessable
from harrier.webserver.fanout import Follower, terminal_state
from harrier.webserver.payloads import snapshot_state
from harrier.webserver.services import Services
from harrier.webserver.uploads import SuppliedInputs, store_files

__all__ = ["launch", "new_execution_id", "parse_labels", "parsed_flow", "resolve_flow", "wait_for_end"]


def resolve_flow(services: Services, namespace: str, flow_id: str, revision: int | None) -> FlowRecord:
    """The revision asked for (the latest when None); ``NotFound`` naming what is missing."""
    if revision is None:
        record = services.flows.latest(namespace, flow_id)
        if record is None:
            raise NotFound(f"flow {namespace}/{flow_id} not found")
        return record
    record = services.flows.revision(namespace, flow_id, revision)
    if record is None:
        latest = services.flows.latest(namespace, flow_id)
        if latest is None:
            raise NotFound(f"flow {namespace}/{flow_id} not found")
        raise NotFound(f"flow {namespace}/{flow_id} has no revision {revision} (latest is {latest.revision})")
    return record


def parsed_flow(services: Services, record: FlowRecord) -> Flow:
    """The record's Flow; ``Conflict`` when its stored source no longer validates."""
    try:
        return services.flows.parsed(record)
    except FlowValidationError as exc:
        raise Conflict(f"flow {record.uid} revision {record.revision} no longer validates: {exc.problems[0]}") from None


def new_execution_id(namespace: str, flow_id: str, idempotency_key: str | None) -> str:
    """The id of a new execution: derived from the client's ``Idempotency-Key`` when it sent
    one, so a retried request (its answer lost to a restart) creates no second execution (the
    executor drops a create for an id it holds); random otherwise. 32 hex digits either way."""
    if idempotency_key:
        return derived_id(namespace, flow_id, "api", idempotency_key)
    return uuid.uuid4().hex


def parse_labels(pairs: list[str]) -> dict[str, str]:
    """``key:value`` query values as a mapping; ``Unprocessable`` for a pair without a colon."""
    labels: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition(":")
        if not sep or not key:
            raise Unprocessable(f"labels: {pair!r} is not key:value")
        labels[key] = value
    return labels


async def launch(
    services: Services,
    record: FlowRecord,
    supplied: SuppliedInputs,
    labels: dict[str, str],
    execution_id: str | None = None,
) -> CreateExecution:
    """Validate the inputs against the flow, store its files and send the create command.

    ``execution_id`` lets a caller follow the execution before it exists; a new id otherwise.
    """
    flow = parsed_flow(services, record)
    if flow.disabled:
        raise Conflict(f"flow {record.uid} is disabled; enable it to run executions")
    execution_id = execution_id or new_execution_id(record.namespace, record.id, None)
    uris = await store_files(services.storage, flow, execution_id, supplied.files)
    try:
        inputs = coerce_inputs(flow.inputs or [], {**supplied.values, **uris})
    except InputValidationError as exc:
        for uri in uris.values():
            services.storage.delete(uri)
        raise Unprocessable(
            f"invalid inputs for flow {record.uid}: {'; '.join(exc.messages)}", problems=exc.messages
        ) from None
    command = CreateExecution(
        execution_id=execution_id,
        namespace=record.namespace,
        flow_id=record.id,
        revision=record.revision,
        inputs=inputs,
        labels={**flow.labels, **labels},
        created_at=datetime.now(timezone.utc),
    )
    encoded = encode_command(command)
    limit = services.settings.webserver.max_inputs_bytes
    if len(encoded) > limit:
        for uri in uris.values():
            services.storage.delete(uri)
        raise TooLarge(f"the inputs of this execution are {len(encoded):,} bytes; the limit is "
                       f"webserver.max-inputs-bytes = {limit:,} (pass large values as FILE inputs)")
    await services.producer.send(services.topics["executions"], execution_id, encoded)
    return command


async def wait_for_end(services: Services, follower: Follower, timeout_s: float) -> bytes | None:
    """The terminal snapshot of the followed execution, or the latest one seen at the time-out.

    ``follower`` must follow the execution from before its create command was sent, so no
    snapshot is missed; it is unfollowed on return.
    """
    execution_id = follower.execution_id
    deadline = time.monotonic() + timeout_s
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            for event in await follower.take(remaining):
                if event.terminal:
                    return event.data
            if follower.dropped:
                # Too many log lines between two reads: follow again; the cache has the state.
                follower = services.fanout.follow(execution_id)
                cached = services.snapshots.get(execution_id)
                if cached is not None and terminal_state(snapshot_state(cached)[1]):
                    return cached
        return services.snapshots.get(execution_id)
    finally:
        services.fanout.unfollow(follower)
