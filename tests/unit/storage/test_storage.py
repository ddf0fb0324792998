"""Internal storage: both implementations honour the same contract."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from harrier.storage import (
    InvalidStorageUri,
    LocalStorage,
    MemoryStorage,
    Storage,
    StorageFileNotFound,
    execution_prefix,
    input_file_uri,
    namespace_files_prefix,
    normalize_uri,
    parse_uri,
    task_file_uri,
)


@pytest.fixture(params=["local", "memory"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    return LocalStorage(tmp_path / "store") if request.param == "local" else MemoryStorage()


def uri(name: str, execution: str = "e1", task_run: str = "tr1") -> str:
    return task_file_uri("company.team", "flow", execution, "task", task_run, name)


def test_uri_layout_is_kestras_and_groups_files_by_execution() -> None:
    assert uri("out/a.csv") == "kestra:///company/team/flow/executions/e1/tasks/task/tr1/out/a.csv"
    assert execution_prefix("company.team", "flow", "e1") == "kestra:///company/team/flow/executions/e1/"
    assert input_file_uri("company.team", "flow", "e1", "doc", "a.csv") == "kestra:///company/team/flow/executions/e1/inputs/doc/a.csv"
    assert namespace_files_prefix("company.team") == "kestra:///company/team/_files/"
    assert parse_uri(uri("a.txt"))[-3:] == ("task", "tr1", "a.txt")


def test_harriers_older_scheme_names_the_same_file(storage: Storage) -> None:
    legacy = "storage://company/team/flow/executions/e1/tasks/task/tr1/a.txt"
    assert normalize_uri(legacy) == uri("a.txt")
    storage.put(legacy, b"old")
    assert storage.get(uri("a.txt")) == b"old"
    assert storage.size(uri("a.txt")) == 3
    with storage.open(legacy) as stream:
        assert stream.read() == b"old"


@pytest.mark.parametrize(
    "bad", ["file:///etc/passwd", "kestra://a/b", "kestra:///a/../b", "storage://a/../b", "storage://a//b", "storage://a/./b", "storage://a\\b", 42]
)
def test_invalid_uris_are_refused_with_the_reason(bad: object) -> None:
    with pytest.raises(InvalidStorageUri, match="storage|segment"):
        parse_uri(bad)  # type: ignore[arg-type]


def test_file_names_cannot_climb_out_of_the_task_folder() -> None:
    with pytest.raises(InvalidStorageUri, match=r"file name '../x'"):
        uri("../x")


def test_put_get_from_bytes_path_and_stream(storage: Storage, tmp_path: Path) -> None:
    local = tmp_path / "src.bin"
    local.write_bytes(b"from a file")
    assert storage.put(uri("a.txt"), b"bytes") == uri("a.txt")
    storage.put(uri("b.txt"), local)
    storage.put(uri("c.txt"), io.BytesIO(b"stream"))
    assert storage.get(uri("a.txt")) == b"bytes"
    assert storage.get(uri("b.txt")) == b"from a file"
    assert storage.get(uri("c.txt")) == b"stream"


def test_put_replaces_and_missing_file_is_a_named_error(storage: Storage) -> None:
    storage.put(uri("a.txt"), b"one")
    storage.put(uri("a.txt"), b"two")
    assert storage.get(uri("a.txt")) == b"two"
    with pytest.raises(StorageFileNotFound, match="no file stored at kestra:///.*/missing.txt"):
        storage.get(uri("missing.txt"))
    with pytest.raises(StorageFileNotFound):
        storage.size(uri("missing.txt"))
    with pytest.raises(StorageFileNotFound):
        storage.open(uri("missing.txt"))


def test_list_and_delete_by_execution(storage: Storage) -> None:
    storage.put(uri("a.txt"), b"1")
    storage.put(uri("sub/b.txt", task_run="tr2"), b"2")
    storage.put(uri("c.txt", execution="e2"), b"3")
    assert storage.list_execution("company.team", "flow", "e1") == sorted([uri("a.txt"), uri("sub/b.txt", task_run="tr2")])
    assert storage.exists(uri("a.txt"))
    assert storage.delete(uri("a.txt")) is True
    assert storage.delete(uri("a.txt")) is False
    assert not storage.exists(uri("a.txt"))
    assert storage.delete_execution("company.team", "flow", "e1") == 1
    assert storage.list_execution("company.team", "flow", "e1") == []
    assert storage.list_execution("company.team", "flow", "e2") == [uri("c.txt", execution="e2")]


def test_local_storage_writes_are_atomic_under_concurrency(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    payloads = [bytes([i]) * 100_000 for i in range(8)]

    def write(data: bytes) -> None:
        for _ in range(5):
            storage.put(uri("shared.bin"), data)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert storage.get(uri("shared.bin")) in payloads
    assert storage.list_execution("company.team", "flow", "e1") == [uri("shared.bin")]
