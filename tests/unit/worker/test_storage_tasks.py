"""The storage tasks, http.Download and a WorkingDirectory's folder, with a fake run context and
in-memory storage."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from harrier.core.messages import WorkingDirectoryRef
from harrier.storage import task_file_uri
from harrier.storage.ion import dump_line
from harrier.worker.exceptions import TaskFailure

OWN = "kestra:///company/team/flow/executions/exec-1/tasks/src/r0/"
ITEMS = b"".join(dump_line(v) for v in [
    {"id": 1, "email": "a@x", "price": 5}, {"id": 2, "email": "b@x", "price": 20},
    {"id": 3, "email": "a@x", "price": 30},
])


def run(ready: Any, fake: Any) -> Any:
    if ready.is_async:
        return asyncio.run(ready.run(ready.task, fake.context))
    return ready.run(ready.task, fake.context)


def setup(prepared: Any, task: dict[str, Any], files: dict[str, bytes]) -> tuple[Any, Any]:
    ready, fake = prepared({"id": "t", **task})
    for name, data in files.items():
        fake.storage.put(OWN + name, data)
    return ready, fake


def test_concat_joins_files_in_order_with_the_separator(prepared: Any) -> None:
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.Concat", "separator": "|",
                                   "files": [OWN + "a.txt", OWN + "b.txt"], "extension": ".txt"},
                        {"a.txt": b"one", "b.txt": b"two"})
    out = run(ready, fake)
    assert out["uri"] == task_file_uri("company.team", "flow", "exec-1", "t", "run-1", "concat.txt")
    assert fake.storage.get(out["uri"]) == b"one|two|"


def test_concat_takes_a_json_string_of_uris(prepared: Any) -> None:
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.Concat",
                                   "files": f'["{OWN}a.txt", "{OWN}a.txt"]'}, {"a.txt": b"x\n"})
    assert fake.storage.get(run(ready, fake)["uri"]) == b"x\nx\n"


def test_size_delete_and_purge(prepared: Any) -> None:
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.Size", "uri": OWN + "a.txt"}, {"a.txt": b"12345"})
    assert run(ready, fake) == {"size": 5}
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.Delete", "uri": OWN + "a.txt"}, {"a.txt": b"1"})
    assert run(ready, fake) == {"uri": OWN + "a.txt", "deleted": True}
    assert run(ready, fake) == {"uri": OWN + "a.txt", "deleted": False}
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.Delete", "uri": OWN + "a.txt", "errorOnMissing": True}, {})
    with pytest.raises(TaskFailure, match="no file stored at"):
        run(ready, fake)
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles"}, {"a.txt": b"1", "b/c.txt": b"2"})
    fake.storage.put("kestra:///company/team/flow/executions/exec-2/tasks/x/r/keep.txt", b"3")
    assert run(ready, fake) == {"uris": [OWN + "a.txt", OWN + "b/c.txt"]}
    assert fake.storage.list("kestra:///company/team/flow/executions/") == ["kestra:///company/team/flow/executions/exec-2/tasks/x/r/keep.txt"]


def test_reverse_reverses_lines(prepared: Any) -> None:
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.Reverse", "from": OWN + "l.csv"}, {"l.csv": b"1\n2\n3\n"})
    out = run(ready, fake)
    assert out["uri"].endswith("/t/run-1/l.csv") and fake.storage.get(out["uri"]) == b"3\n2\n1\n"


@pytest.mark.parametrize(("how", "parts"), [
    ({"rows": 2}, [b"1\n2\n", b"3\n4\n", b"5\n"]),
    ({"partitions": 2}, [b"1\n3\n5\n", b"2\n4\n"]),
    ({"bytes": "4B"}, [b"1\n2\n", b"3\n4\n", b"5\n"]),
])
def test_split_by_rows_partitions_or_bytes(prepared: Any, how: dict[str, Any], parts: list[bytes]) -> None:
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.Split", "from": OWN + "n.txt", **how}, {"n.txt": b"1\n2\n3\n4\n5"})
    uris = run(ready, fake)["uris"]
    assert [u.rsplit("/", 1)[-1] for u in uris] == [f"n-{i}.txt" for i in range(len(parts))]
    assert [fake.storage.get(u) for u in uris] == parts


def test_split_needs_exactly_one_way(prepared: Any) -> None:
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.Split", "from": OWN + "n.txt", "rows": 1, "partitions": 2}, {"n.txt": b"1"})
    with pytest.raises(TaskFailure, match="exactly one of bytes, partitions and rows \\(got partitions, rows\\)"):
        run(ready, fake)


def test_filter_items_renders_the_condition_with_each_items_fields(prepared: Any) -> None:
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.FilterItems", "from": OWN + "i.ion",
                                   "filterCondition": "{{ price > 10 }}"}, {"i.ion": ITEMS})
    out = run(ready, fake)
    assert (out["processedItemsTotal"], out["droppedItemsTotal"]) == (3, 1)
    assert out["uri"].endswith("/i.ion") and fake.storage.get(out["uri"]) == ITEMS.split(b"\n", 1)[1]
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.FilterItems", "from": OWN + "i.ion",
                                   "filterCondition": "{{ price > 10 }}", "filterType": "EXCLUDE"}, {"i.ion": ITEMS})
    assert fake.storage.get(run(ready, fake)["uri"]) == ITEMS.split(b"\n", 1)[0] + b"\n"


def test_filter_items_error_behaviour(prepared: Any) -> None:
    task = {"type": "io.kestra.plugin.core.storage.FilterItems", "from": OWN + "i.ion", "filterCondition": "{{ missing > 1 }}"}
    ready, fake = setup(prepared, task, {"i.ion": ITEMS})
    with pytest.raises(TaskFailure, match="filterCondition failed on item 1"):
        run(ready, fake)
    ready, fake = setup(prepared, {**task, "errorOrNullBehavior": "INCLUDE"}, {"i.ion": ITEMS})
    assert run(ready, fake)["droppedItemsTotal"] == 0


def test_deduplicate_items_keeps_the_last_of_each_key(prepared: Any) -> None:
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.DeduplicateItems", "from": OWN + "i.ion",
                                   "expr": "{{ email }}"}, {"i.ion": ITEMS})
    out = run(ready, fake)
    assert (out["numKeys"], out["processedItemsTotal"], out["droppedItemsTotal"]) == (2, 3, 1)
    assert fake.storage.get(out["uri"]) == ITEMS.split(b"\n", 1)[1]


def test_storage_tasks_refuse_other_executions_files(prepared: Any) -> None:
    other = "kestra:///company/team/flow/executions/exec-9/tasks/x/r/a.txt"
    ready, fake = setup(prepared, {"type": "io.kestra.plugin.core.storage.Size", "uri": other}, {})
    fake.storage.put(other, b"secret")
    with pytest.raises(TaskFailure, match="belongs neither to the current execution"):
        run(ready, fake)


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/empty":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/missing":
            self.send_error(404)
            return
        body = b"id,name\n1,a\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/named":
            self.send_header("Content-Disposition", 'attachment; filename="report.csv"')
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def files_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_streams_the_body_into_storage(prepared: Any, files_server: str) -> None:
    ready, fake = prepared({"id": "d", "type": "io.kestra.plugin.core.http.Download", "uri": f"{files_server}/data/rows.csv"})
    out = run(ready, fake)
    assert out["uri"] == task_file_uri("company.team", "flow", "exec-1", "d", "run-1", "rows.csv")
    assert (out["code"], out["length"], fake.storage.get(out["uri"])) == (200, 12, b"id,name\n1,a\n")
    ready, fake = prepared({"id": "d", "type": "io.kestra.plugin.core.http.Download", "uri": f"{files_server}/named"})
    assert run(ready, fake)["uri"].endswith("/report.csv")


@pytest.mark.parametrize(("path", "message"), [("/missing", "failed with response code 404"), ("/empty", "empty body")])
def test_download_failures_say_why(prepared: Any, files_server: str, path: str, message: str) -> None:
    ready, fake = prepared({"id": "d", "type": "io.kestra.plugin.core.http.Download", "uri": files_server + path})
    with pytest.raises(TaskFailure, match=message):
        run(ready, fake)


def test_working_directory_children_share_files_through_storage(prepared: Any) -> None:
    first_ref = WorkingDirectoryRef(task_id="wd", task_run_id="wd-run", input_files={"q.sql": "SELECT 1"}, output_files=["*.txt"])
    ready, fake = prepared({"id": "first", "type": "shell.Commands", "commands": ["cat q.sql > out.txt"]})
    fake.context.record = fake.record = fake.record.model_copy(update={"working_directory": first_ref, "task_run_id": "c1"})
    run(ready, fake)
    files = fake.context.finish_directory()
    fake.context.close()
    out = "kestra:///company/team/flow/executions/exec-1/tasks/wd/wd-run/out.txt"
    assert files == {"out.txt": out} and fake.storage.get(out) == b"SELECT 1"

    second_ref = first_ref.model_copy(update={"previous": "c1", "input_files": None})
    ready, later = prepared({"id": "second", "type": "shell.Commands", "commands": ["echo more >> out.txt"]})
    later.storage = fake.storage
    later.context.storage = fake.storage
    later.context.record = later.record.model_copy(update={"working_directory": second_ref, "task_run_id": "c2"})
    run(ready, later)
    assert later.context.finish_directory() == {"out.txt": out}
    assert fake.storage.get(out) == b"SELECT 1more\n"


def test_a_missing_previous_directory_fails_saying_so(prepared: Any) -> None:
    ready, fake = prepared({"id": "second", "type": "shell.Commands", "commands": ["true"]})
    ref = WorkingDirectoryRef(task_id="wd", task_run_id="wd-run", previous="gone")
    fake.context.record = fake.record.model_copy(update={"working_directory": ref})
    with pytest.raises(TaskFailure, match="working directory of wd after task run gone is missing"):
        run(ready, fake)


def test_local_files_writes_inputs_and_stores_outputs(prepared: Any) -> None:
    ready, fake = prepared({"id": "lf", "type": "io.kestra.plugin.core.storage.LocalFiles",
                            "inputs": {"a.txt": "alpha", "sub/b.csv": OWN + "src.csv"}, "outputs": ["**/*.csv", "a.txt"]})
    fake.storage.put(OWN + "src.csv", b"x,y\n")
    uris = run(ready, fake)["uris"]
    assert sorted(uris) == ["a.txt", "sub/b.csv"]
    assert fake.storage.get(uris["a.txt"]) == b"alpha" and fake.storage.get(uris["sub/b.csv"]) == b"x,y\n"
    ready, fake = prepared({"id": "lf", "type": "io.kestra.plugin.core.storage.LocalFiles", "inputs": {"../x": "no"}})
    with pytest.raises(TaskFailure, match="points outside the working directory"):
        run(ready, fake)


def test_namespace_files_are_copied_into_a_scripts_folder(prepared: Any) -> None:
    ready, fake = prepared({"id": "sh", "type": "shell.Commands", "outputFiles": ["seen.txt"],
                            "namespaceFiles": {"enabled": True, "include": ["scripts/*"], "exclude": ["*.tmp"]},
                            "commands": ["find . -type f -not -path './_outputs*' -not -name seen.txt | sort > seen.txt"]})
    prefix = "kestra:///company/team/_files/"
    for name in ("scripts/q.sql", "scripts/deep/r.sql", "scripts/x.tmp", "other.txt"):
        fake.storage.put(prefix + name, b"-")
    fake.storage.put("kestra:///company/other/_files/scripts/no.sql", b"-")
    out = run(ready, fake)
    assert fake.storage.get(out["outputFiles"]["seen.txt"]) == b"./scripts/deep/r.sql\n./scripts/q.sql\n"


def test_the_first_child_of_a_working_directory_gets_the_namespace_files(prepared: Any) -> None:
    ref = WorkingDirectoryRef(task_id="wd", task_run_id="wd-run", namespace_files={"enabled": True})
    ready, fake = prepared({"id": "first", "type": "shell.Commands", "commands": ["cat q.sql"]})
    fake.storage.put("kestra:///company/team/_files/q.sql", b"SELECT 9")
    fake.context.record = fake.record.model_copy(update={"working_directory": ref})
    run(ready, fake)
    assert fake.messages() == ["SELECT 9"]
