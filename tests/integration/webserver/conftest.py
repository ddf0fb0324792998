"""Fixtures of the webserver tests; they live in `webserver_stack` so test modules can import its
helpers by a name no other test folder uses (every folder's `conftest` would collide)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from webserver_stack import indexer, stack, stack_settings  # noqa: E402,F401 - fixtures
