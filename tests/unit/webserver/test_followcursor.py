"""The follow stream's position: what its SSE id says and what a resumed stream lets through."""

from __future__ import annotations

from harrier.webserver.followcursor import Cursor


def test_a_token_reads_back_as_the_same_position() -> None:
    cursor = Cursor(41, 7, 3)
    assert cursor.token == "41.7.3"
    assert Cursor.parse(cursor.token) == cursor
    assert Cursor.parse("-1.0.0") == Cursor(-1, 0, 0)


def test_ids_that_are_not_positions_start_afresh() -> None:
    for token in (None, "", "progress", "end", "1.2", "1.2.3.4", "a.b.c", "1.-2.3", "1e3.0.0"):
        assert Cursor.parse(token) is None, token


def test_a_resumed_stream_lets_through_only_what_follows_its_position() -> None:
    cursor = Cursor(10, 20, 2)
    assert not cursor.admits_snapshot(10) and cursor.admits_snapshot(11)
    assert cursor.admits_snapshot(-1)  # read from Elasticsearch: no offset to compare
    assert not cursor.admits_line(20, 1) and cursor.admits_line(20, 2) and cursor.admits_line(21, 0)
    assert not cursor.admits_line(19, 5)
    assert cursor.after_line(21, 0) == Cursor(10, 21, 1)
    assert cursor.after_snapshot(12) == Cursor(12, 20, 2)
