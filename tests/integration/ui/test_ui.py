"""The web UI end to end: Playwright (ui/e2e) drives Debian's Chromium against a standalone of
this module's own, plus a second webserver on the same topics with basic auth on.

The specs run as one `npx playwright test`; its report is this test's failure message. With
HARRIER_UI_SCREENSHOTS set to a folder, the specs also save the screenshots docs/ui.md shows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harrier.webserver.passwords import hash_password
from tests.integration.standalone import free_port, standalone

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
UI = ROOT / "ui"
BUILT = ROOT / "harrier" / "webserver" / "ui_dist" / "index.html"
CHROMIUM = os.environ.get("HARRIER_CHROMIUM", "/usr/bin/chromium")
_USER, _PASSWORD = "ui-tester", "pw-for-the-ui-test"
# Stored as a deployment stores it: an argon2 hash (harrier auth hash), which the login checks.
_AUTH = f"  auth:\n    mode: basic\n    users:\n      {_USER}: '{hash_password(_PASSWORD)}'\n"


def test_the_playwright_suite_passes(kafka_bootstrap: str, es_url: str, tmp_path: Path) -> None:
    assert BUILT.exists(), "the UI is not built: run `make install` (npm ci && npm run build in ui/)"
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: apt-get install chromium"
    tag = f"ui{os.getpid()}x{free_port()}"
    with standalone(tmp_path, kafka_bootstrap, es_url, tag=tag) as url, \
            standalone(tmp_path, kafka_bootstrap, es_url, tag=tag, webserver=_AUTH, only="webserver") as auth_url:
        env = {
            **os.environ,
            "HARRIER_UI_URL": url,
            "HARRIER_UI_AUTH_URL": auth_url,
            "HARRIER_UI_AUTH_USER": _USER,
            "HARRIER_UI_AUTH_PASSWORD": _PASSWORD,
            "HARRIER_CHROMIUM": CHROMIUM,
        }
        run = subprocess.run(
            ["npx", "playwright", "test"], cwd=UI, env=env, capture_output=True, text=True, timeout=600,
        )
    report = run.stdout[-12000:] + run.stderr[-3000:]
    print(report)
    assert run.returncode == 0, report
    assert " passed" in run.stdout, report
