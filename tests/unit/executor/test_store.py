"""PartitionStore: journaled changes, dirty set, changelog, timers, restore."""

from __future__ import annotations

import pytest
from runtime_fakes import Codec

from harrier.executor import PartitionStore, StoreError


def _store() -> PartitionStore:
    return PartitionStore(3, Codec())


def test_changes_outside_a_record_are_refused_with_the_partition_named() -> None:
    store = _store()
    with pytest.raises(StoreError, match="partition 3: store changes are only allowed"):
        store.put("a", {"total": 1})
    with pytest.raises(StoreError, match="partition 3: no record"):
        store.complete()


def test_completed_changes_are_dirty_until_marked_clean() -> None:
    store = _store()
    store.begin()
    store.put("a", {"total": 1})
    store.put("a", {"total": 2})
    store.put("b", {"total": 5})
    store.complete()
    assert store.dirty
    assert sorted(store.changelog()) == [("a", b'{"total":2}'), ("b", b'{"total":5}')]
    store.mark_clean()
    assert not store.dirty and list(store.changelog()) == []
    assert store.get("a") == {"total": 2}


def test_delete_writes_a_tombstone() -> None:
    store = _store()
    store.begin()
    store.put("a", {"total": 1})
    store.complete()
    store.mark_clean()
    store.begin()
    store.delete("a")
    store.complete()
    assert "a" not in store
    assert list(store.changelog()) == [("a", None)]


def test_rollback_restores_states_and_the_dirty_set() -> None:
    store = _store()
    store.begin()
    store.put("kept", {"total": 1})
    store.complete()
    store.mark_clean()
    store.begin()
    store.put("kept", {"total": 99})
    store.put("new", {"total": 1})
    store.rollback()
    assert store.get("kept") == {"total": 1}
    assert "new" not in store
    assert not store.dirty


def test_rollback_keeps_keys_that_were_dirty_before_the_record() -> None:
    store = _store()
    store.begin()
    store.put("a", {"total": 1})
    store.complete()
    store.begin()
    store.put("a", {"total": 2})
    store.rollback()
    assert list(store.changelog()) == [("a", b'{"total":1}')]


def test_timers_follow_the_state_of_each_completed_key() -> None:
    store = _store()
    store.begin()
    store.put("a", {"total": 1, "due": 100.0})
    store.put("b", {"total": 1, "due": 50.0})
    store.complete()
    assert store.timers.next_due() == 50.0
    store.begin()
    store.delete("b")
    store.put("a", {"total": 1, "due": None})
    store.complete()
    assert store.timers.next_due() is None


def test_rolled_back_records_leave_timers_alone() -> None:
    store = _store()
    store.begin()
    store.put("a", {"total": 1, "due": 100.0})
    store.complete()
    store.begin()
    store.put("a", {"total": 1, "due": 5.0})
    store.rollback()
    assert store.timers.due_at("a") == 100.0


def test_restore_applies_the_latest_record_per_key_and_rebuilds_timers() -> None:
    store = _store()
    store.restore("a", b'{"total":1,"due":10.0}')
    store.restore("b", b'{"total":1}')
    store.restore("a", b'{"total":2,"due":20.0}')
    store.restore("b", None)
    store.rebuild_timers()
    assert store.get("a") == {"total": 2, "due": 20.0}
    assert "b" not in store
    assert not store.dirty
    assert store.timers.pop_due(15.0) == []
    assert store.timers.pop_due(20.0) == ["a"]


def test_before_is_the_state_a_rollback_would_restore() -> None:
    store = _store()
    store.begin()
    store.put("a", {"total": 1})
    store.complete()
    store.begin()
    assert store.before("a") == {"total": 1}
    store.put("a", {"total": 2})
    store.put("b", {"total": 3})
    assert store.before("a") == {"total": 1} and store.get("a") == {"total": 2}
    assert store.before("b") is None
    store.rollback()
    assert store.get("a") == {"total": 1} and store.before("a") == {"total": 1}


def test_a_resting_state_is_kept_as_its_changelog_bytes_and_decoded_again_when_read() -> None:
    store = _store()
    store.begin()
    store.put("ended", {"total": 3, "rests": True, "due": 500.0})
    store.put("live", {"total": 1, "due": 100.0})
    store.complete()
    written = dict(store.changelog())
    store.mark_clean()
    assert store.resting("ended") and not store.resting("live")
    assert store.before("ended") == {"total": 3, "rests": True, "due": 500.0}
    assert store.get("ended") == {"total": 3, "rests": True, "due": 500.0}
    # Read, it is live again, and unchanged: nothing new for the changelog.
    assert not store.resting("ended") and not store.dirty
    assert written["ended"] == b'{"total":3,"rests":true,"due":500.0}'


def test_a_resting_state_written_over_and_rolled_back_rests_again() -> None:
    store = _store()
    store.begin()
    store.put("ended", {"total": 3, "rests": True})
    store.complete()
    list(store.changelog())
    store.mark_clean()
    store.begin()
    store.put("ended", {"total": 4})
    store.rollback()
    assert store.resting("ended") and store.get("ended") == {"total": 3, "rests": True}


def test_restored_resting_states_keep_their_timers() -> None:
    store = _store()
    store.restore("ended", b'{"total":3,"rests":true,"due":500.0}')
    store.restore("live", b'{"total":1,"due":100.0}')
    store.rebuild_timers()
    assert store.resting("ended") and not store.resting("live")
    assert store.timers.pop_due(1000.0) == ["live", "ended"]
