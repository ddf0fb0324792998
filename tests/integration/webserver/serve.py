"""Run a webserver in its own process for tests that measure it: ``python serve.py SETTINGS_JSON PORT``.

Settings come as JSON (the kebab-case keys of the YAML properties); the test options of
``webserver_stack.TEST_OPTIONS`` apply.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))

from webserver_stack import TEST_OPTIONS  # noqa: E402

from harrier.config.settings import Settings  # noqa: E402
from harrier.webserver import run_webserver  # noqa: E402

if __name__ == "__main__":
    data = orjson.loads(sys.argv[1])
    data.setdefault("webserver", {})["port"] = int(sys.argv[2])
    run_webserver(Settings.model_validate(data), options=TEST_OPTIONS, log_level="warning")
