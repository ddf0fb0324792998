"""Pid files name one process, not whichever process later gets the same number."""

from __future__ import annotations

import os
from pathlib import Path

from harrier.infra.processes import read_pid, write_pid


def test_a_recorded_process_is_found_while_it_lives(tmp_path: Path) -> None:
    pid_file = tmp_path / "node.pid"
    write_pid(pid_file, os.getpid())
    assert read_pid(pid_file) == os.getpid()


def test_a_reused_pid_is_not_taken_for_the_recorded_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "node.pid"
    # Same number, another start time: the recorded process is gone and its pid reused.
    pid_file.write_text(f"{os.getpid()} 12345.000")
    assert read_pid(pid_file) is None


def test_a_pid_file_without_a_start_time_or_missing_is_stale(tmp_path: Path) -> None:
    pid_file = tmp_path / "node.pid"
    assert read_pid(pid_file) is None
    pid_file.write_text(str(os.getpid()))
    assert read_pid(pid_file) is None
