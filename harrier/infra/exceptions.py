"""Errors of the local stack launcher.

InfraError
 └── each carries a one-line reason meant to be printed as is.
"""

from __future__ import annotations

__all__ = ["InfraError"]


class InfraError(Exception):
    """The local stack could not be brought up, checked or stopped; the message is one line."""
