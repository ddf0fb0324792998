"""``harrier config check``: exit codes and output."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harrier.cli.config import run


def test_prints_effective_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.yml"
    path.write_text("executor:\n  poll-ms: 7\n")
    assert run([str(path)]) == 0
    out = capsys.readouterr().out
    assert yaml.safe_load(out)["executor"]["poll-ms"] == 7


def test_prints_one_error_line_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.yml"
    path.write_text("executor:\n  pol-ms: 7\n")
    assert run([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"config error: {path}: executor.pol-ms: unknown key\n"
