"""TimerIndex: armed once, fired once, earliest first."""

from __future__ import annotations

from harrier.executor.timers import TimerIndex


def test_pop_due_returns_due_keys_earliest_first_and_disarms_them() -> None:
    timers = TimerIndex()
    timers.set("b", 20.0)
    timers.set("a", 10.0)
    timers.set("c", 30.0)
    assert timers.pop_due(25.0) == ["a", "b"]
    assert timers.pop_due(25.0) == []
    assert timers.next_due() == 30.0
    assert len(timers) == 1


def test_rearming_moves_the_timer_and_the_old_entry_never_fires() -> None:
    timers = TimerIndex()
    timers.set("a", 10.0)
    timers.set("a", 50.0)
    assert timers.next_due() == 50.0
    assert timers.pop_due(20.0) == []
    assert timers.pop_due(50.0) == ["a"]


def test_disarming_removes_the_timer() -> None:
    timers = TimerIndex()
    timers.set("a", 10.0)
    timers.set("a", None)
    assert timers.next_due() is None
    assert timers.pop_due(100.0) == []
    assert timers.due_at("a") is None


def test_many_rearms_keep_the_heap_bounded() -> None:
    timers = TimerIndex()
    for i in range(10_000):
        timers.set("a", float(i))
    assert len(timers._heap) <= 4 * len(timers) + 64
    assert timers.pop_due(1e9) == ["a"]
