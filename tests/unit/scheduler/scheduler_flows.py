"""Flow records used by the scheduler's unit tests."""

from __future__ import annotations

from harrier.core.messages import FlowRecord

TASKS = """tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
"""


def flow_record(flow_id: str, triggers: str, *, namespace: str = "company.team", revision: int = 1, extra: str = "") -> FlowRecord:
    """A flow record whose YAML has ``triggers`` (an indented YAML list) under ``triggers:``."""
    source = f"id: {flow_id}\nnamespace: {namespace}\n{extra}{TASKS}triggers:\n{triggers}"
    return FlowRecord(namespace=namespace, id=flow_id, revision=revision, source=source)
