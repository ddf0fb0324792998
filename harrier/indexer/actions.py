"""Bulk actions: one Elasticsearch index or delete operation, ready to be written as NDJSON."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

__all__ = ["Action"]


@dataclass(frozen=True, slots=True)
class Action:
    """Index ``source`` as ``index/doc_id``, or delete that document when ``source`` is None.

    ``version`` (external versioning) makes Elasticsearch keep the highest version it has
    seen, so a replayed older record never overwrites a newer document.
    """

    index: str
    doc_id: str
    source: bytes | None
    version: int | None = None

    def ndjson(self) -> bytes:
        """The action line and, for an index operation, the source line."""
        meta: dict[str, object] = {"_index": self.index, "_id": self.doc_id}
        if self.version is not None:
            meta["version"] = self.version
            meta["version_type"] = "external"
        if self.source is None:
            return orjson.dumps({"delete": meta}) + b"\n"
        return orjson.dumps({"index": meta}) + b"\n" + self.source + b"\n"

    @property
    def is_delete(self) -> bool:
        return self.source is None
