"""`harrier config check` prints one line naming the file and the key path, and exits non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harrier.cli.main", "config", "check", *args], capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("executor:\n  pol-ms: 5\n", "executor.pol-ms: unknown key"),
        ("executor:\n  poll-ms: fast\n", "executor.poll-ms: input should be a valid integer (got 'fast')"),
        ("executor: [\n", "invalid YAML"),
    ],
)
def test_bad_file_gives_one_line_and_exit_2(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "local.yml"
    path.write_text(content)
    proc = _check("--config", str(path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"config error: {path}")
    assert expected in lines[0]


def test_missing_file(tmp_path: Path) -> None:
    proc = _check("--config", str(tmp_path / "nope.yml"))
    assert (proc.returncode, proc.stderr.strip()) == (2, f"config error: {tmp_path / 'nope.yml'}: file not found")


def test_env_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "local.yml"
    path.write_text("executor:\n  poll-ms: 40\n")
    monkeypatch.setenv("HARRIER__EXECUTOR__POLL_MS", "60")
    proc = _check("--config", str(path))
    assert proc.returncode == 0
    assert "poll-ms: 60" in proc.stdout
