"""namespace.UploadFiles, DownloadFiles, DeleteFiles with a fake run context."""

from __future__ import annotations

from typing import Any

import pytest

from harrier.worker.exceptions import TaskFailure

NS = "kestra:///company/team/_files/"
OWN = "kestra:///company/team/flow/executions/exec-1/tasks/src/r0/"


def test_upload_download_delete(prepared: Any) -> None:
    ready, fake = prepared({"id": "up", "type": "io.kestra.plugin.core.namespace.UploadFiles", "namespace": "company.team",
                            "filesMap": {"/sql/q.sql": OWN + "q.sql", "notes.txt": "hi"}, "files": [OWN + "r.csv"], "destination": "/data"})
    fake.storage.put(OWN + "q.sql", b"SELECT 1")
    fake.storage.put(OWN + "r.csv", b"a,b")
    out = ready.run(ready.task, fake.context)
    assert out["files"] == {"sql/q.sql": NS + "sql/q.sql", "notes.txt": NS + "notes.txt", "data/r.csv": NS + "data/r.csv"}
    assert fake.storage.get(NS + "sql/q.sql") == b"SELECT 1" and fake.storage.get(NS + "notes.txt") == b"hi"

    skip, _ = prepared({"id": "up", "type": "namespace.UploadFiles", "namespace": "company.team", "filesMap": {"notes.txt": "new"}, "conflict": "SKIP"})
    assert skip.run(skip.task, fake.context) == {"files": {}}
    error, _ = prepared({"id": "up", "type": "namespace.UploadFiles", "namespace": "company.team", "filesMap": {"notes.txt": "new"}, "conflict": "ERROR"})
    with pytest.raises(TaskFailure, match="namespace file notes.txt exists"):
        error.run(error.task, fake.context)

    down, _ = prepared({"id": "down", "type": "io.kestra.plugin.core.namespace.DownloadFiles", "namespace": "company.team", "files": ["sql/*"]})
    files = down.run(down.task, fake.context)["files"]
    assert list(files) == ["sql/q.sql"] and files["sql/q.sql"] == fake.context.file_uri("sql/q.sql")
    assert fake.storage.get(files["sql/q.sql"]) == b"SELECT 1"

    delete, _ = prepared({"id": "del", "type": "io.kestra.plugin.core.namespace.DeleteFiles", "namespace": "company.team", "files": ["/data/*", "notes.txt"]})
    assert delete.run(delete.task, fake.context) == {"files": ["data/r.csv", "notes.txt"]}
    assert fake.storage.list(NS) == [NS + "sql/q.sql"]


@pytest.mark.parametrize(("task", "message"), [
    ({"type": "namespace.DeleteFiles", "namespace": "company.other", "files": ["*"]}, "only its own namespace files"),
    ({"type": "namespace.UploadFiles", "namespace": "company.team", "filesMap": {"../escape": "x"}}, "not allowed"),
    ({"type": "namespace.UploadFiles", "namespace": "company.team", "filesMap": {"a": "kestra:///company/team/flow/executions/other/x"}}, "belongs neither"),
])
def test_refusals(prepared: Any, task: dict[str, Any], message: str) -> None:
    ready, fake = prepared({"id": "t", **task})
    with pytest.raises(TaskFailure, match=message):
        ready.run(ready.task, fake.context)
