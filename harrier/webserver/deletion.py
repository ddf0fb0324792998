"""Deleting an ended execution: its history document, its log lines and its files.

The executor forgets an execution once it ends (a tombstone on ``execution-states``), so what
is left of it is here: the Elasticsearch documents the indexer wrote and the files in
internal storage. This webserver's snapshot cache forgets it too; another webserver process
may answer it from its own cache until that cache drops it.
"""

from __future__ import annotations

from elasticsearch import NotFoundError
from starlette.concurrency import run_in_threadpool

from harrier.core.states import TERMINAL
from harrier.indexer.indices import IndexNames
from harrier.webserver.exceptions import Conflict
from harrier.webserver.lookups import current_snapshot, history_call
from harrier.webserver.payloads import state_of
from harrier.webserver.services import Services

__all__ = ["delete_execution"]

_ENDED = frozenset(state.value for state in TERMINAL)
_DELETE_BATCH = 1000


async def delete_execution(services: Services, execution_id: str, *, logs: bool, files: bool) -> None:
    """Delete an ended execution (404 unknown, 409 still running); with ``logs`` its log
    lines, with ``files`` its files in internal storage."""
    _, snapshot = await current_snapshot(services, execution_id)
    state = state_of(snapshot)
    if state not in _ENDED:
        raise Conflict(f"execution {execution_id} is {state}: kill it first, only an ended execution can be deleted")
    names = IndexNames(services.settings.elasticsearch.index_prefix)
    await history_call(_delete_documents, services, names, execution_id, logs)
    if files:
        await run_in_threadpool(
            services.storage.delete_execution, snapshot["namespace"], snapshot["flow_id"], execution_id
        )
    services.snapshots.discard(execution_id)


def _delete_documents(services: Services, names: IndexNames, execution_id: str, logs: bool) -> None:
    es = services.es
    try:
        # refresh: a search right after the delete must not find it.
        es.delete(index=names.executions, id=execution_id, refresh=True)
    except NotFoundError:
        pass  # Not indexed yet (only in the snapshot cache): nothing to delete there.
    while logs:
        # Batches found then deleted by id, not _delete_by_query: that one lives in Elasticsearch's
        # reindex module, which minimal distributions (the integration tests') leave out.
        hits = es.search(
            index=names.pattern("logs"), query={"term": {"execution_id": execution_id}}, size=_DELETE_BATCH,
            source=False, ignore_unavailable=True, allow_no_indices=True,
        )["hits"]["hits"]
        if not hits:
            return
        es.bulk(operations=[{"delete": {"_index": hit["_index"], "_id": hit["_id"]}} for hit in hits], refresh=True)
