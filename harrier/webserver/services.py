"""What request handlers use, built once per app by ``create_app``'s lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from elasticsearch import Elasticsearch
from fastapi import Request

from harrier.config.settings import Settings
from harrier.indexer.queries import HistoryQueries
from harrier.indexer.stats import ExecutionStats
from harrier.kv.store import TopicKVStore
from harrier.storage.base import Storage
from harrier.webserver.deploy import FlowDeployer
from harrier.webserver.fanout import FanOut
from harrier.webserver.flowfeed import FlowFeed
from harrier.webserver.flowtable import FlowTable
from harrier.webserver.followfeed import FollowFeed
from harrier.webserver.followreplay import FollowReplay
from harrier.webserver.options import WebserverOptions
from harrier.webserver.producer import AsyncProducer
from harrier.webserver.snapshots import SnapshotCache

__all__ = ["Services", "services"]


@dataclass(slots=True)
class Services:
    """The webserver's moving parts; ``consumers`` counts the Kafka consumers it created, by purpose."""

    settings: Settings
    options: WebserverOptions
    topics: dict[str, str]
    flows: FlowTable
    flow_feed: FlowFeed
    deployer: FlowDeployer
    fanout: FanOut
    snapshots: SnapshotCache
    follow_feed: FollowFeed
    follow_replay: FollowReplay
    producer: AsyncProducer
    es: Elasticsearch
    history: HistoryQueries
    stats: ExecutionStats
    storage: Storage
    kv: TopicKVStore
    consumers: dict[str, int]


def services(request: Request) -> Services:
    """The app's services (a FastAPI dependency)."""
    return request.app.state.services  # type: ignore[no-any-return]
