"""One bulk request and what became of each of its actions.

Each item of a bulk response is one of:

- acknowledged: 2xx; also 409 (external versioning kept a newer document: this record is
  stale, which is the point) and 404 on a delete (already gone);
- retry: 429 and 5xx (rejected execution, unavailable shard) and 403 (an index blocked
  read-only while the disk fills): Elasticsearch may take it later;
- refused: any other 4xx, e.g. a mapping conflict. It will never be accepted as it is, so
  it goes to the dead-letter topic with Elasticsearch's reason.

A request that fails as a whole (connection refused, timeout, 429/5xx) raises
``ElasticsearchUnavailable``: the caller keeps the batch and tries again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

from harrier.indexer.actions import Action
from harrier.indexer.exceptions import ElasticsearchUnavailable

__all__ = ["BulkOutcome", "BulkShipper"]

# Only what classification needs: an item's status and error, not its shard details.
_FILTER_PATH = "errors,items.*.status,items.*.error.type,items.*.error.reason"


@dataclass(slots=True)
class BulkOutcome:
    """Positions (in the shipped sequence) of the actions to retry and the refused ones."""

    retry: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when nothing is left to retry."""
        return not self.retry


class BulkShipper:
    """Sends actions to Elasticsearch in one bulk request and classifies the answer."""

    __slots__ = ("_es", "requests", "timeout_s")

    def __init__(self, es: Elasticsearch, timeout_s: float = 60.0) -> None:
        self._es = es
        self.timeout_s = timeout_s
        self.requests = 0

    def ship(self, actions: Sequence[Action]) -> BulkOutcome:
        """Send ``actions``; raise ``ElasticsearchUnavailable`` if the request as a whole failed."""
        if not actions:
            return BulkOutcome()
        body = b"".join([action.ndjson() for action in actions])
        self.requests += 1
        try:
            response = self._es.options(request_timeout=self.timeout_s).bulk(
                operations=body, filter_path=_FILTER_PATH
            )
        except ApiError as exc:
            raise ElasticsearchUnavailable(f"bulk request failed with {exc.meta.status}: {exc.message}") from exc
        except (TransportConnectionError, TransportError) as exc:
            raise ElasticsearchUnavailable(f"bulk request failed: {exc}") from exc
        if not response.get("errors"):
            return BulkOutcome()
        return classify(actions, response["items"])


def classify(actions: Sequence[Action], items: Sequence[dict[str, dict[str, object]]]) -> BulkOutcome:
    """Sort the items of a bulk response (with ``errors: true``) into retry and refused."""
    if len(items) != len(actions):
        raise ElasticsearchUnavailable(f"bulk response has {len(items)} items for {len(actions)} actions")
    outcome = BulkOutcome()
    for position, (action, item) in enumerate(zip(actions, items, strict=True)):
        result = next(iter(item.values()))
        status = int(result.get("status", 500))  # type: ignore[call-overload]
        if status < 300 or status == 409 or (status == 404 and action.is_delete):
            continue
        if status >= 500 or status in (403, 429):
            outcome.retry.append(position)
            continue
        error = result.get("error") or {}
        reason = f"{error.get('type', status)}: {error.get('reason', '')}"  # type: ignore[union-attr]
        outcome.refused.append((position, f"elasticsearch refused {action.index}/{action.doc_id}: {reason}"))
    return outcome
