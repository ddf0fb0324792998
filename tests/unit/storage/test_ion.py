"""ION lines: Kestra's Ion text reads as plain data, what Harrier writes reads back."""

from __future__ import annotations

import io

import pytest

from harrier.storage.ion import InvalidIon, dump_line, iter_lines


def test_kestras_ion_text_reads_as_plain_data() -> None:
    text = b'{id:1,name:"a",when:2024-01-01T00:00:00Z,x:1.5e0,d:1.25,n:null,s:sym,b:true,l:[1,null.int]}\n\n{id:2}\n'
    assert list(iter_lines(io.BytesIO(text))) == [
        {"id": 1, "name": "a", "when": "2024-01-01T00:00:00Z", "x": 1.5, "d": 1.25, "n": None, "s": "sym", "b": True, "l": [1, None]},
        {"id": 2},
    ]


def test_written_lines_read_back() -> None:
    values = [{"a": 1, "b": None, "c": [1.5, "x"], "d": True}, "text", 3]
    data = b"".join(dump_line(v) for v in values)
    assert data.count(b"\n") == 3
    assert list(iter_lines(io.BytesIO(data))) == values


def test_a_bad_line_names_its_number() -> None:
    with pytest.raises(InvalidIon, match="line 2 is not an Ion value"):
        list(iter_lines(io.BytesIO(b"{a:1}\n{a:\n")))
