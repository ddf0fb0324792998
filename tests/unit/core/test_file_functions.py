"""read, fileURI, fileSize, isFileEmpty, fileExists: Kestra's file functions, kept inside the
execution's own files, its parent's and its namespace's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harrier.core import HarrierExpressionError
from harrier.core.expressions import LIMITS, render, set_file_storage
from harrier.storage import MemoryStorage, input_file_uri, namespace_files_prefix, task_file_uri

OWN = task_file_uri("company.team", "flow", "e1", "t1", "r1", "out.txt")
EMPTY = task_file_uri("company.team", "flow", "e1", "t1", "r1", "empty.txt")
OTHER = task_file_uri("company.team", "flow", "e2", "t1", "r1", "out.txt")
PARENT = task_file_uri("company.other", "parent", "p1", "t", "r", "data.csv")
CTX = {"flow": {"id": "flow", "namespace": "company.team"}, "execution": {"id": "e1"}}


@pytest.fixture(autouse=True)
def storage() -> Iterator[MemoryStorage]:
    store = MemoryStorage()
    store.put(OWN, b"hello\nworld")
    store.put(EMPTY, b"")
    store.put(OTHER, b"secret")
    store.put(PARENT, b"a,b")
    store.put(namespace_files_prefix("company.team") + "scripts/q.sql", b"select 1")
    store.put(input_file_uri("company.team", "flow", "e1", "doc", "d.txt"), b"uploaded")
    set_file_storage(store)
    yield store
    set_file_storage(None)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (f"{{{{ read('{OWN}') }}}}", "hello\nworld"),
        # Harrier's older scheme names the same file.
        (f"{{{{ read('{OWN.replace('kestra:///', 'storage://')}') }}}}", "hello\nworld"),
        ("{{ read(inputs.doc) }}", "uploaded"),
        ("{{ read('scripts/q.sql') }}", "select 1"),
        ("{{ read('nsfile:///scripts/q.sql') }}", "select 1"),
        ("{{ read(path='scripts/q.sql', namespace='company.team') }}", "select 1"),
        ("{{ fileURI('scripts/q.sql') }}", "kestra:///company/team/_files/scripts/q.sql"),
        ("{{ fileURI('/scripts/q.sql') }}", "kestra:///company/team/_files/scripts/q.sql"),
        (f"{{{{ fileSize('{OWN}') }}}}", 11),
        (f"{{{{ isFileEmpty('{EMPTY}') }}}}", True),
        (f"{{{{ isFileEmpty('{OWN}') }}}}", False),
        (f"{{{{ fileExists('{OWN}') }}}}", True),
        ("{{ fileExists('scripts/none.sql') }}", False),
    ],
)
def test_file_functions(template: str, expected: object) -> None:
    ctx = {**CTX, "inputs": {"doc": input_file_uri("company.team", "flow", "e1", "doc", "d.txt")}}
    assert render(template, ctx) == expected


def test_a_flow_triggered_execution_reads_its_parents_files() -> None:
    trigger = {"namespace": "company.other", "flowId": "parent", "executionId": "p1"}
    assert render(f"{{{{ read('{PARENT}') }}}}", {**CTX, "trigger": trigger}) == "a,b"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (f"{{{{ read('{OTHER}') }}}}", "belongs neither to the current execution nor to namespace company.team"),
        (f"{{{{ fileSize('{PARENT}') }}}}", "belongs neither"),
        ("{{ read('nsfile://company.other/a.txt') }}", "only the flow's own namespace files"),
        ("{{ read('a.txt', namespace='company.other') }}", "only its own namespace files"),
        ("{{ read('s3://bucket/a.txt') }}", "scheme not supported"),
        ("{{ read('../../x') }}", "not allowed"),
        ("{{ fileURI('a/../../x') }}", "must not contain '../'"),
        ("{{ read('missing.txt') }}", "no file at kestra:///company/team/_files/missing.txt"),
        ("{{ read(42) }}", "expects a path"),
    ],
)
def test_refusals_say_what_is_wrong(template: str, message: str) -> None:
    with pytest.raises(HarrierExpressionError, match=message.replace("(", r"\(")):
        render(template, CTX)


def test_read_is_bounded_by_the_string_limit(storage: MemoryStorage) -> None:
    big = task_file_uri("company.team", "flow", "e1", "t1", "r1", "big.bin")
    storage.put(big, b"x" * (LIMITS.max_string + 1))
    with pytest.raises(HarrierExpressionError, match="expressions read files of up to"):
        render(f"{{{{ read('{big}') }}}}", CTX)
    assert render(f"{{{{ fileSize('{big}') }}}}", CTX) == LIMITS.max_string + 1


def test_without_storage_the_functions_say_so() -> None:
    set_file_storage(None)
    with pytest.raises(HarrierExpressionError, match="need internal storage"):
        render(f"{{{{ read('{OWN}') }}}}", CTX)
