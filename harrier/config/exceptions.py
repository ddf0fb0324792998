"""Config exceptions.

ConfigError            any problem loading the settings; ``str()`` is the one line to print
"""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(Exception):
    """The settings could not be loaded.

    ``str(error)`` is a single line naming the source (file or environment variable), the key
    path and the problem, e.g.
    ``config error: local.yml: executor.poll-ms: input should be a valid integer (got 'fast')``.
    """

    def __init__(self, source: str, problem: str, path: str | None = None) -> None:
        self.source = source
        self.path = path
        self.problem = problem
        where = f"{source}: {path}" if path else source
        super().__init__(f"config error: {where}: {problem}")
