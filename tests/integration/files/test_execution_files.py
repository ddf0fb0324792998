"""Internal storage end to end on a real standalone: a FILE input uploaded as Kestra's clients
send it, fetched into a script's working directory through `inputFiles`, the script's
`outputFiles` as `kestra:///` URIs, read back by the file functions in a later task, the
execution's files listed, measured, previewed and downloaded through Kestra's routes, and
purged with the execution."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
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
    logs = client.get(f"{API}/logs/{execution['id']}").json()
    deadline = time.monotonic() + 30
    while not logs and time.monotonic() < deadline:
        time.sleep(0.3)
        logs = client.get(f"{API}/logs/{execution['id']}").json()
    assert any("belongs neither to the current execution" in line["message"] for line in logs), logs
