"""The stall guard ends a process whose block outlives its limit, and stays out of the way otherwise."""

from __future__ import annotations

import multiprocessing
import time

from harrier.executor.stallguard import STALLED_EXIT, stall_guard


def _blocked() -> None:
    with stall_guard(0.2, "a test call"):
        time.sleep(30)


def _quick() -> None:
    with stall_guard(0.2, "a test call"):
        pass
    time.sleep(0.5)


def _exit_code(target) -> int | None:
    process = multiprocessing.get_context("spawn").Process(target=target)
    process.start()
    process.join(20)
    return process.exitcode


def test_a_block_past_its_limit_ends_the_process_with_the_restart_code() -> None:
    assert _exit_code(_blocked) == STALLED_EXIT


def test_a_block_that_returns_in_time_leaves_the_process_running() -> None:
    assert _exit_code(_quick) == 0
