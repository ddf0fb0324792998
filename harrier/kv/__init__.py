"""The KV store on the compacted `kv` topic (`TopicKVStore`), and one in memory for tests.

Not a component: the worker (kv tasks, `kv()`), the executor (`kv()` in flowable
properties) and the webserver (the API) each open a `TopicKVStore` of their own.
"""

from __future__ import annotations

from harrier.kv.memory import MemoryKVStore
from harrier.kv.store import TopicKVStore
from harrier.kv.table import KVTable

__all__ = ["KVTable", "MemoryKVStore", "TopicKVStore"]
