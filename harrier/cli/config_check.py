"""``harrier config check``: load the settings and print them, or the one-line error."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harrier.config import ConfigError, load_settings, render_settings

__all__ = ["run"]


def run(paths: Sequence[str]) -> int:
    """Load defaults < ``paths`` < environment; print the effective YAML and return 0, or
    print the error line to stderr and return 2."""
    try:
        settings = load_settings(paths)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    sys.stdout.write(render_settings(settings))
    return 0
