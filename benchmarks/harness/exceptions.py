"""Errors of the load harness.

HarnessError
 ├── TargetUnavailable   the system under test is not running or refused the set-up (deploy, topics)
 └── ScenarioError       a scenario definition or its flow file is wrong (names the file and field)
"""

from __future__ import annotations

__all__ = ["HarnessError", "ScenarioError", "TargetUnavailable"]


class HarnessError(Exception):
    """Base of every harness error; the message is one line meant to be printed as is."""


class TargetUnavailable(HarnessError):
    """The system under test cannot be reached or would not accept the scenario's flow."""


class ScenarioError(HarnessError):
    """A scenario or its flow file is invalid."""
