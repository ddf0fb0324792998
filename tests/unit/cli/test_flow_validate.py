"""`harrier flow validate` prints every problem as file:line:col: path: message and exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FLOWS = Path(__file__).resolve().parents[2] / "flows"


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harrier.cli.main", "flow", "validate", *map(str, paths)],
        capture_output=True, text=True,
    )


def test_valid_corpus_folder_passes() -> None:
    proc = _validate(FLOWS / "valid")
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip().endswith("flow(s) valid")


def test_invalid_file_prints_its_expected_lines(tmp_path: Path) -> None:
    flow = tmp_path / "broken.yml"
    flow.write_text("id: broken\nnamespace: demo\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Logg\n"
                    "    message: hi\n")
    proc = _validate(flow)
    assert proc.returncode == 2
    first = proc.stdout.splitlines()[0]
    assert first.startswith(f"{flow}:5:11: tasks[0].type: unknown task type 'io.kestra.plugin.core.log.Logg'")
    assert "did you mean" in first
