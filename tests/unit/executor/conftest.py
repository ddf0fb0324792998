"""Make ``runtime_fakes`` importable by the tests next to it (pytest runs with importlib mode)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
