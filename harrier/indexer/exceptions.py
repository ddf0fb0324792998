"""Indexer exceptions.

IndexerError                  base of everything raised by harrier.indexer
 +-- DocumentError            a record cannot become a document (dead-letter it)
 +-- ElasticsearchUnavailable Elasticsearch is down or refused the whole request: back off
 +-- QueryError               a history query has an invalid parameter (a caller's mistake)
"""

from __future__ import annotations

__all__ = ["DocumentError", "ElasticsearchUnavailable", "IndexerError", "QueryError"]


class IndexerError(Exception):
    """Base of the exceptions raised by ``harrier.indexer``."""


class DocumentError(IndexerError):
    """A record could not be turned into a document; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ElasticsearchUnavailable(IndexerError):
    """Elasticsearch did not accept a request as a whole; retry the same request later."""


class QueryError(IndexerError, ValueError):
    """A query parameter is invalid; the message names the parameter and the problem."""
