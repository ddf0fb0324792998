"""Task loggers: logLevel filtering, secret masking, coordinates, and the file sink."""

from __future__ import annotations

from typing import Any

from harrier.core.secrets import register_secret
from harrier.core.tasks.base import LogLevel
from harrier.storage import MemoryStorage
from harrier.worker.batches import Batch
from harrier.worker.logs import FileLog, TaskLogger, level_enabled


def test_level_threshold_follows_kestra_order() -> None:
    assert level_enabled(LogLevel.DEBUG, None)
    assert level_enabled(LogLevel.WARN, LogLevel.INFO)
    assert level_enabled(LogLevel.INFO, LogLevel.INFO)
    assert not level_enabled(LogLevel.DEBUG, LogLevel.INFO)
    assert not level_enabled(LogLevel.WARN, LogLevel.ERROR)


def test_lines_carry_task_run_coordinates_and_are_filtered(make_record: Any) -> None:
    lines: list = []
    logger = TaskLogger(make_record({"id": "hello", "type": "Log", "message": "x"}), LogLevel.WARN, lines.append)
    logger.info("dropped")
    logger.error("kept")
    assert [(level, message) for _, _, level, message in lines] == [(LogLevel.ERROR, "kept")]
    source, timestamp, _, _ = lines[0]
    assert (source.execution_id, source.task_run_id, source.task_id, source.attempt, source.namespace, source.flow_id) == (
        "exec-1", "run-1", "hello", 1, "company.team", "flow"
    )
    assert timestamp.tzinfo is not None


def test_secret_values_are_masked(make_record: Any) -> None:
    register_secret("hunter2-worker-secret")
    lines: list = []
    TaskLogger(make_record({"id": "t", "type": "Log", "message": "x"}), None, lines.append).info("token=hunter2-worker-secret ok")
    assert lines[0][3] == "token=****** ok"


def test_file_log_is_stored_whole_and_the_temp_file_removed(make_record: Any) -> None:
    storage = MemoryStorage()
    file_log = FileLog()
    logger = TaskLogger(make_record({"id": "t", "type": "Log", "message": "x"}), None, file_log.write)
    logger.info("first")
    logger.warn("second")
    uri = file_log.store(storage, "kestra:///ns/flow/executions/e/tasks/t/r/logs.txt")
    text = storage.get(uri).decode()
    assert text.splitlines()[0].endswith("INFO first")
    assert text.splitlines()[1].endswith("WARN second")
    assert not file_log.path.exists()


def test_batch_drains_everything_once() -> None:
    batch: Batch[int] = Batch()
    for i in range(5):
        batch.add(i)
    assert len(batch) == 5
    assert batch.drain() == [0, 1, 2, 3, 4]
    assert batch.drain() == []
