"""The serdes of the records the worker reads and writes (envelope kinds on the wire).

| serde          | topic           | key          |
|----------------|-----------------|--------------|
| WORKER_TASK    | worker-tasks    | task run id  |
| WORKER_RESULT  | worker-results  | execution id |
| WORKER_CONTROL | worker-controls | task run id  |
| LOG            | logs            | execution id |
| METRIC         | metrics         | execution id |
"""

from __future__ import annotations

from harrier.core.messages import LogEntry, MetricEntry, WorkerControl, WorkerResult, WorkerTask
from harrier.topics.serdes import ModelSerde

__all__ = ["LOG", "METRIC", "WORKER_CONTROL", "WORKER_RESULT", "WORKER_TASK"]

WORKER_TASK = ModelSerde("worker-task", WorkerTask)
WORKER_RESULT = ModelSerde("worker-result", WorkerResult)
WORKER_CONTROL = ModelSerde("worker-control", WorkerControl)
LOG = ModelSerde("log", LogEntry)
METRIC = ModelSerde("metric", MetricEntry)
