"""Internal storage end to end on a real standalone: a FILE input uploaded as Kestra's clients
send it, fetched into a script's working directory through `inputFiles`, the script's
`outputFiles` as `kestra:///` URIs, read back by the file functions in a later task, the
execution's files listed, measured, previewed and downloaded through Kestra's routes, and
purged with the execution. Then one flow chains http.Download and every storage task."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from harrier.storage import LocalStorage
from tests.integration.standalone import free_port, standalone

pytestmark = pytest.mark.integration

API = "/api/v1/main"
FLOW = """\
id: files
namespace: harrier.files
inputs:
  - id: doc
    type: FILE
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      in.csv: "{{ inputs.doc }}"
    outputFiles:
      - out.csv
    commands:
      - cp in.csv out.csv
      - echo 3,4 >> out.csv
  - id: check
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.make.outputFiles['out.csv']) | trim }}|{{ fileSize(outputs.make.outputFiles['out.csv']) }}|{{ isFileEmpty(inputs.doc) }}|{{ fileExists(inputs.doc) }}"
"""


@pytest.fixture(scope="module")
def server(kafka_bootstrap: str, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("files")
    with standalone(home, kafka_bootstrap, es_url, tag=f"files{os.getpid()}x{free_port()}") as url:
        yield url, home / "storage"


@pytest.fixture(scope="module")
def client(server: tuple[str, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], timeout=60) as http:
        http.post(f"{API}/flows", content=FLOW, headers={"Content-Type": "application/x-yaml"}).raise_for_status()
        yield http


def run(client: httpx.Client, namespace: str, flow_id: str, **kwargs: object) -> dict:
    response = client.post(f"{API}/executions/{namespace}/{flow_id}", params={"wait": "true", "timeout": 60}, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response.json()


def test_a_file_input_flows_through_a_script_and_the_file_functions(client: httpx.Client, server: tuple[str, Path]) -> None:
    execution = run(client, "harrier.files", "files", files={"doc": ("in.csv", b"a,b\n1,2\n", "text/csv")})
    assert execution["state"]["current"] == "SUCCESS", execution
    execution_id = execution["id"]
    prefix = f"kestra:///harrier/files/files/executions/{execution_id}/"
    doc = execution["inputs"]["doc"]
    assert doc == f"{prefix}inputs/doc/in.csv"
    runs = {run["taskId"]: run for run in execution["taskRunList"]}
    out = runs["make"]["outputs"]["outputFiles"]["out.csv"]
    assert out == f"{prefix}tasks/make/{runs['make']['id']}/out.csv"
    assert runs["check"]["outputs"]["value"] == "a,b\n1,2\n3,4|12|false|true"

    files = client.get(f"{API}/executions/{execution_id}/files")
    assert files.status_code == 200 and files.json() == [{"uri": doc, "size": 8}, {"uri": out, "size": 12}]
    assert client.get(f"{API}/executions/{execution_id}/file/metas", params={"path": out}).json() == {"size": 12}
    preview = client.get(f"{API}/executions/{execution_id}/file/preview", params={"path": out, "maxRows": 2}).json()
    assert preview == {"extension": "csv", "type": "TEXT", "content": "a,b\n1,2", "maxLine": 2, "truncated": True}
    download = client.get(f"{API}/executions/{execution_id}/file", params={"path": out})
    assert download.status_code == 200 and download.content == b"a,b\n1,2\n3,4\n"
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''out.csv"
    # Harrier's older scheme names the same file.
    legacy = out.replace("kestra:///", "storage://")
    assert client.get(f"{API}/executions/{execution_id}/file", params={"path": legacy}).content == b"a,b\n1,2\n3,4\n"

    other = run(client, "harrier.files", "files", files={"doc": ("x.csv", b"x\n", "text/csv")})
    refused = client.get(f"{API}/executions/{other['id']}/file", params={"path": out})
    assert refused.status_code == 422 and "is not a file of execution" in refused.json()["message"]
    missing = client.get(f"{API}/executions/{execution_id}/file/metas", params={"path": prefix + "tasks/none/x.txt"})
    assert missing.status_code == 404 and "no file stored at" in missing.json()["message"]

    storage = LocalStorage(server[1])
    assert storage.exists(out)
    deadline = time.monotonic() + 30
    # 404: not yet in the snapshot cache nor indexed; 503: Elasticsearch slow to answer on a busy box.
    while (deleted := client.delete(f"{API}/executions/{execution_id}")).status_code in (404, 503) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert deleted.status_code == 204, deleted.text
    assert storage.list_execution("harrier.files", "files", execution_id) == []
    assert storage.list_execution("harrier.files", "files", other["id"]) != []


def test_a_task_reading_another_executions_file_fails_saying_why(client: httpx.Client) -> None:
    flow = """\
id: snoop
namespace: harrier.files
tasks:
  - id: peek
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read('kestra:///harrier/files/files/executions/someone-else/inputs/doc/in.csv') }}"
"""
    client.post(f"{API}/flows", content=flow, headers={"Content-Type": "application/x-yaml"}).raise_for_status()
    execution = run(client, "harrier.files", "snoop")
    assert execution["state"]["current"] == "FAILED"
    # The indexer trails the logs topic; on a busy box Elasticsearch may answer 503 meanwhile.
    deadline = time.monotonic() + 30
    while (answer := client.get(f"{API}/logs/{execution['id']}")).status_code != 200 or not answer.json():
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.3)
    assert any("belongs neither to the current execution" in line["message"] for line in answer.json()), answer.text


STORAGE_FLOW = """\
id: storage
namespace: harrier.files
inputs:
  - id: url
    type: STRING
tasks:
  - id: fetch
    type: io.kestra.plugin.core.http.Download
    uri: "{{ inputs.url }}"
  - id: split
    type: io.kestra.plugin.core.storage.Split
    from: "{{ outputs.fetch.uri }}"
    rows: 2
  - id: concat
    type: io.kestra.plugin.core.storage.Concat
    files: "{{ outputs.split.uris }}"
    extension: .csv
  - id: reverse
    type: io.kestra.plugin.core.storage.Reverse
    from: "{{ outputs.concat.uri }}"
  - id: size
    type: io.kestra.plugin.core.storage.Size
    uri: "{{ outputs.reverse.uri }}"
  - id: items
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles:
      - items.ion
    commands:
      - |
        cat > items.ion <<'END'
        {"id":1,"email":"a@x","price":5}
        {id:2,email:"b@x",price:20}
        {"id":3,"email":"a@x","price":30}
        END
  - id: dedup
    type: io.kestra.plugin.core.storage.DeduplicateItems
    from: "{{ outputs.items.outputFiles['items.ion'] }}"
    expr: "{{ email }}"
  - id: filter
    type: io.kestra.plugin.core.storage.FilterItems
    from: "{{ outputs.dedup.uri }}"
    filterCondition: "{{ price > 25 }}"
  - id: check
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.reverse.uri) }}#{{ read(outputs.filter.uri) }}"
  - id: delete
    type: io.kestra.plugin.core.storage.Delete
    uri: "{{ outputs.fetch.uri }}"
  - id: purge
    type: io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles
"""


class _Rows(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"1\n2\n3\n4\n5\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_download_and_the_storage_tasks_chain_end_to_end(client: httpx.Client, server: tuple[str, Path]) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Rows)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client.post(f"{API}/flows", content=STORAGE_FLOW, headers={"Content-Type": "application/x-yaml"}).raise_for_status()
        url = f"http://127.0.0.1:{httpd.server_address[1]}/exports/rows.txt"
        execution = run(client, "harrier.files", "storage", json={"url": url})
    finally:
        httpd.shutdown()
    assert execution["state"]["current"] == "SUCCESS", execution
    outputs = {run["taskId"]: run["outputs"] for run in execution["taskRunList"]}
    prefix = f"kestra:///harrier/files/storage/executions/{execution['id']}/tasks/"
    assert outputs["fetch"]["uri"].startswith(prefix + "fetch/") and outputs["fetch"]["uri"].endswith("/rows.txt")
    assert (outputs["fetch"]["code"], outputs["fetch"]["length"]) == (200, 10)
    assert [uri.rsplit("/", 1)[-1] for uri in outputs["split"]["uris"]] == ["rows-0.txt", "rows-1.txt", "rows-2.txt"]
    assert outputs["size"] == {"size": 10}
    assert (outputs["dedup"]["numKeys"], outputs["dedup"]["processedItemsTotal"], outputs["dedup"]["droppedItemsTotal"]) == (2, 3, 1)
    assert (outputs["filter"]["processedItemsTotal"], outputs["filter"]["droppedItemsTotal"]) == (2, 1)
    reversed_rows, kept = outputs["check"]["value"].split("#")
    assert reversed_rows == "5\n4\n3\n2\n1\n"
    assert kept == '{"id":3,"email":"a@x","price":30}\n'
    assert outputs["delete"] == {"uri": outputs["fetch"]["uri"], "deleted": True}
    purged = outputs["purge"]["uris"]
    assert outputs["fetch"]["uri"] not in purged and outputs["reverse"]["uri"] in purged
    assert LocalStorage(server[1]).list_execution("harrier.files", "storage", execution["id"]) == []


WORKING_DIRECTORY_FLOW = """\
id: wdir
namespace: harrier.files
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      query.sql: SELECT 1
    outputFiles:
      - "*.txt"
    tasks:
      - id: first
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - echo kept > stay.txt
          - cat query.sql >> stay.txt
      - id: between
        type: io.kestra.plugin.core.log.Log
        message: between
      - id: local
        type: io.kestra.plugin.core.storage.LocalFiles
        inputs:
          note.md: "# note"
        outputs:
          - stay.txt
      - id: second
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - test -f note.md
          - echo "::{\\"outputs\\":{\\"stay\\":\\"$(head -1 stay.txt)\\",\\"query\\":\\"$(tail -1 stay.txt)\\"}}::"
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.wdir.outputFiles['stay.txt']) | trim }}"
"""


def test_a_working_directory_carries_its_files_from_child_to_child(client: httpx.Client) -> None:
    client.post(f"{API}/flows", content=WORKING_DIRECTORY_FLOW, headers={"Content-Type": "application/x-yaml"}).raise_for_status()
    execution = run(client, "harrier.files", "wdir")
    assert execution["state"]["current"] == "SUCCESS", execution
    runs = {run["taskId"]: run for run in execution["taskRunList"]}
    assert runs["second"]["outputs"]["vars"] == {"stay": "kept", "query": "SELECT 1"}
    wdir = runs["wdir"]
    assert wdir["outputs"]["outputFiles"] == {
        "stay.txt": f"kestra:///harrier/files/wdir/executions/{execution['id']}/tasks/wdir/{wdir['id']}/stay.txt"
    }
    assert runs["after"]["outputs"]["value"] == "kept\nSELECT 1"
    assert list(runs["local"]["outputs"]["uris"]) == ["stay.txt"]
    assert [runs[t]["parentTaskRunId"] for t in ("first", "between", "local", "second")] == [wdir["id"]] * 4


NSFILE_FLOW = """\
id: nsfiles
namespace: harrier.files
tasks:
  - id: query
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read('scripts/q.sql') }}|{{ fileExists('scripts/none.sql') }}|{{ fileURI('scripts/q.sql') }}"
  - id: script
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      enabled: true
      include:
        - scripts/*
    commands:
      - test ! -e top.txt
      - echo "::{\\"outputs\\":{\\"sql\\":\\"$(cat scripts/q.sql)\\"}}::"
  - id: upload
    type: io.kestra.plugin.core.namespace.UploadFiles
    namespace: harrier.files
    filesMap:
      generated/out.txt: made by the flow
  - id: download
    type: io.kestra.plugin.core.namespace.DownloadFiles
    namespace: harrier.files
    files:
      - generated/*
  - id: remove
    type: io.kestra.plugin.core.namespace.DeleteFiles
    namespace: harrier.files
    files:
      - generated/*
"""


def test_namespace_files_through_the_api_and_read_by_a_flow(client: httpx.Client) -> None:
    base = f"{API}/namespaces/harrier.files/files"
    upload = client.post(base, params={"path": "/scripts/q.sql"}, files={"fileContent": ("q.sql", b"SELECT 42", "text/plain")})
    assert upload.status_code == 204, upload.text
    client.post(base, params={"path": "/top.txt"}, files={"fileContent": ("top.txt", b"t", "text/plain")}).raise_for_status()
    assert client.get(base, params={"path": "/scripts/q.sql"}).content == b"SELECT 42"
    assert client.get(f"{base}/directory").json() == [
        {"fileName": "scripts", "type": "Directory", "size": 0}, {"fileName": "top.txt", "type": "File", "size": 1},
    ]
    assert client.get(f"{base}/directory", params={"path": "/scripts"}).json() == [{"fileName": "q.sql", "type": "File", "size": 9}]
    assert client.get(f"{base}/stats", params={"path": "/scripts/q.sql"}).json() == {"fileName": "q.sql", "type": "File", "size": 9}
    escape = client.get(base, params={"path": "/../../harrier/files/files/executions/x"})
    assert escape.status_code == 422 and "not allowed" in escape.json()["message"]

    client.post(f"{API}/flows", content=NSFILE_FLOW, headers={"Content-Type": "application/x-yaml"}).raise_for_status()
    execution = run(client, "harrier.files", "nsfiles")
    assert execution["state"]["current"] == "SUCCESS", execution
    assert execution["taskRunList"][0]["outputs"]["value"] == "SELECT 42|false|kestra:///harrier/files/_files/scripts/q.sql"
    assert execution["taskRunList"][1]["outputs"]["vars"] == {"sql": "SELECT 42"}
    outputs = {run["taskId"]: run["outputs"] for run in execution["taskRunList"]}
    assert outputs["upload"]["files"] == {"generated/out.txt": "kestra:///harrier/files/_files/generated/out.txt"}
    copied = outputs["download"]["files"]["generated/out.txt"]
    assert client.get(f"{API}/executions/{execution['id']}/file", params={"path": copied}).content == b"made by the flow"
    assert outputs["remove"]["files"] == ["generated/out.txt"]

    assert client.delete(base, params={"path": "/scripts"}).status_code == 204
    assert client.get(base, params={"path": "/scripts/q.sql"}).status_code == 404
    assert client.get(f"{base}/directory").json() == [{"fileName": "top.txt", "type": "File", "size": 1}]
