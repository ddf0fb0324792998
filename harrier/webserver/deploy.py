"""Deploying and deleting flows: validate, pick the revision, write to ``flows``, update the table.

A deploy whose source equals the latest revision's changes nothing; any other source gets
the latest revision + 1. Deploys of one flow are serialised within the process so two
concurrent requests cannot both take the same revision.
"""

from __future__ import annotations

import asyncio
import enum

from harrier.core.exceptions import Problem
from harrier.core.flows import Flow
from harrier.core.messages import FlowRecord
from harrier.core.validation import validate_text
from harrier.topics.records import FLOW_RECORD
from harrier.webserver.exceptions import NotFound, Unprocessable
from harrier.webserver.flowtable import FlowTable
from harrier.webserver.producer import AsyncProducer
from harrier.webserver.schemas import problem_body

__all__ = ["DeployOutcome", "FlowDeployer", "validate_source"]

SOURCE_NAME = "<request body>"


class DeployOutcome(enum.StrEnum):
    """What a deploy did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def validate_source(source: str) -> Flow:
    """The Flow of ``source``; ``Unprocessable`` listing every problem with line, column, path."""
    flow, problems = validate_text(source, SOURCE_NAME)
    if flow is not None:
        return flow
    raise Unprocessable(
        f"invalid flow: {len(problems)} problem(s); first: {_located(problems[0])}"
        if problems
        else "invalid flow: the document is not a flow",
        problems=[problem_body(p) for p in problems],
    )


def _located(problem: Problem) -> str:
    path = f" at {problem.path}" if problem.path else ""
    return f"line {problem.line}, column {problem.column}{path}: {problem.message}"


class FlowDeployer:
    """Writes flow revisions and tombstones to the ``flows`` topic."""

    def __init__(self, table: FlowTable, producer: AsyncProducer, topic: str) -> None:
        self._table = table
        self._producer = producer
        self._topic = topic
        self._locks: dict[str, asyncio.Lock] = {}

    async def deploy(self, source: str, expect: tuple[str, str] | None = None) -> tuple[FlowRecord, DeployOutcome]:
        """Deploy ``source``; ``expect`` (namespace, id) must match it when given (a PUT)."""
        flow = validate_source(source)
        if expect is not None and (flow.namespace, flow.id) != expect:
            raise Unprocessable(
                f"the body declares flow {flow.namespace}/{flow.id} but the path names {expect[0]}/{expect[1]}"
            )
        uid = f"{flow.namespace}/{flow.id}"
        async with self._locks.setdefault(uid, asyncio.Lock()):
            latest = self._table.latest(flow.namespace, flow.id)
            if expect is not None and latest is None:
                raise NotFound(f"flow {uid} is not deployed; create it with POST /api/v1/flows")
            if latest is not None and latest.source == source:
                return latest, DeployOutcome.UNCHANGED
            revision = latest.revision + 1 if latest is not None else 1
            record = FlowRecord(namespace=flow.namespace, id=flow.id, revision=revision, source=source)
            sent = await self._producer.send(self._topic, uid, FLOW_RECORD.encode(record))
            self._table.apply(uid, record, (sent.partition(), sent.offset()))
        return record, DeployOutcome.UPDATED if latest is not None else DeployOutcome.CREATED

    async def delete(self, namespace: str, flow_id: str) -> FlowRecord:
        """Tombstone a flow; ``NotFound`` if it is not deployed."""
        uid = f"{namespace}/{flow_id}"
        async with self._locks.setdefault(uid, asyncio.Lock()):
            latest = self._table.latest(namespace, flow_id)
            if latest is None:
                raise NotFound(f"flow {uid} not found")
            sent = await self._producer.send(self._topic, uid, None)
            self._table.apply(uid, None, (sent.partition(), sent.offset()))
        return latest
