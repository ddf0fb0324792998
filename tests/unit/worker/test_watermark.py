"""Commit watermarks advance only over the contiguous prefix of finished offsets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from harrier.worker.watermark import PartitionWatermark, Watermarks


def test_out_of_order_finishes_wait_for_the_lowest_unfinished() -> None:
    mark = PartitionWatermark()
    for offset in (10, 11, 12, 13):
        assert mark.start(offset)
    mark.finish(12)
    mark.finish(11)
    assert mark.committable is None
    mark.finish(10)
    assert mark.committable == 13
    assert mark.in_flight == 1
    mark.finish(13)
    assert mark.committable == 14
    assert mark.in_flight == 0


def test_refetched_offsets_are_refused_and_unknown_finishes_ignored() -> None:
    mark = PartitionWatermark()
    assert mark.start(5)
    assert not mark.start(5)
    assert not mark.start(3)
    mark.finish(99)
    mark.finish(5)
    mark.finish(5)
    assert mark.committable == 6


@given(st.permutations(list(range(30))), st.integers(min_value=0, max_value=30))
def test_committable_is_the_lowest_unfinished_offset(order: list[int], finished_count: int) -> None:
    mark = PartitionWatermark()
    for offset in range(30):
        mark.start(offset)
    done = order[:finished_count]
    for offset in done:
        mark.finish(offset)
    unfinished = sorted(set(range(30)) - set(done))
    expected = unfinished[0] if unfinished else 30
    assert (mark.committable or 0) == expected
    assert mark.in_flight == len(unfinished)


def test_watermarks_report_only_moved_offsets_and_forget_revoked_partitions() -> None:
    marks = Watermarks()
    marks.start("t", 0, 0)
    marks.start("t", 1, 7)
    marks.finish("t", 0, 0)
    assert marks.to_commit() == {("t", 0): 1}
    marks.committed({("t", 0): 1})
    assert marks.to_commit() == {}
    assert marks.in_flight() == 1
    marks.forget("t", 1)
    marks.finish("t", 1, 7)
    assert marks.to_commit() == {}
    assert marks.in_flight() == 0
