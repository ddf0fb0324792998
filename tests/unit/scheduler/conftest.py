from __future__ import annotations

import sys
from pathlib import Path

# The helpers module next to the tests (flows.py) imports as a top-level module.
sys.path.insert(0, str(Path(__file__).parent))
