"""The one-line answers to an unknown flow or execution, each with the command that lists the known ones."""

from __future__ import annotations

__all__ = ["unknown_execution", "unknown_flow", "unknown_revision"]


def unknown_execution(execution_id: str) -> str:
    """An execution id the server does not know."""
    return f"execution {execution_id} does not exist (harrier execution list shows the recent ones)"


def unknown_flow(namespace: str, flow_id: str) -> str:
    """A flow the server does not know."""
    return f"flow {namespace}/{flow_id} does not exist (harrier flow list {namespace} shows the deployed ones)"


def unknown_revision(namespace: str, flow_id: str, revision: int) -> str:
    """A revision the server does not have (or a flow it does not know)."""
    return (f"flow {namespace}/{flow_id} has no revision {revision} "
            f"(harrier flow revisions {namespace} {flow_id} lists them)")
