from __future__ import annotations

from harrier.scheduler.heap import DueHeap


def test_pop_due_returns_only_due_in_order() -> None:
    heap = DueHeap()
    heap.rebuild([(30.0, "c"), (10.0, "a"), (20.0, "b")])
    assert heap.peek() == 10.0
    assert heap.pop_due(20.0) == ["a", "b"]
    assert heap.pop_due(25.0) == []
    assert len(heap) == 1 and heap.due_at("c") == 30.0


def test_reschedule_and_discard_leave_stale_entries_skipped() -> None:
    heap = DueHeap()
    heap.schedule("a", 10.0)
    heap.schedule("a", 50.0)
    heap.schedule("b", 20.0)
    heap.discard("b")
    assert heap.peek() == 50.0
    assert heap.pop_due(49.0) == []
    assert heap.pop_due(50.0) == ["a"]
    assert heap.peek() is None


def test_compaction_keeps_content() -> None:
    heap = DueHeap()
    for i in range(3000):
        heap.schedule("x", float(i))
    heap.schedule("y", 5.0)
    assert len(heap) == 2
    assert heap.pop_due(10_000.0) == ["y", "x"]
