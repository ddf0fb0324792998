"""The indexer: ships logs, metrics, execution snapshots and flows to Elasticsearch, and queries them."""

from __future__ import annotations

from harrier.indexer.actions import Action
from harrier.indexer.batches import Batch, BatchLimits
from harrier.indexer.bulk import BulkOutcome, BulkShipper
from harrier.indexer.documents import INDEXED_TOPICS, DocumentBuilder
from harrier.indexer.exceptions import (
    DocumentError,
    ElasticsearchUnavailable,
    IndexerError,
    QueryError,
)
from harrier.indexer.indices import IndexNames
from harrier.indexer.loop import IndexerLoop
from harrier.indexer.retention import RetentionCleaner
from harrier.indexer.runner import build_loop, create_elasticsearch, run_indexer
from harrier.indexer.status import IndexerStatus
from harrier.indexer.templates import install_templates

__all__ = [
    "INDEXED_TOPICS",
    "Action",
    "Batch",
    "BatchLimits",
    "BulkOutcome",
    "BulkShipper",
    "DocumentBuilder",
    "DocumentError",
    "ElasticsearchUnavailable",
    "IndexNames",
    "IndexerError",
    "IndexerLoop",
    "IndexerStatus",
    "QueryError",
    "RetentionCleaner",
    "build_loop",
    "create_elasticsearch",
    "install_templates",
    "run_indexer",
]
