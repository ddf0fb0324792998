"""Catching up with the watermarks a from-the-start reader began with."""

from __future__ import annotations

from harrier.webserver.assignment import CatchUp


def test_done_once_every_partition_reached_its_starting_end() -> None:
    catch_up = CatchUp({("flows", 0): 3, ("flows", 1): 1})
    assert not catch_up.done
    catch_up.consumed("flows", 1, 0)
    catch_up.consumed("flows", 0, 1)
    assert not catch_up.done
    catch_up.consumed("flows", 0, 2)
    assert catch_up.done


def test_records_past_the_start_and_of_other_partitions_change_nothing() -> None:
    catch_up = CatchUp({("flows", 0): 5})
    catch_up.consumed("flows", 3, 100)
    assert not catch_up.done
    assert CatchUp({}).done
