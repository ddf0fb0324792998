"""Records of the ``flows`` topic, as the scheduler reads them.

A flow is stored under its key ``namespace/id`` as envelope type ``flow``::

    {"v": 1, "type": "flow", "data": {"namespace": ..., "id": ..., "revision": 3, "source": "<YAML>"}}

and deleted with a tombstone. Whoever deploys flows (webserver, CLI) writes these.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from harrier.topics.serdes import ModelSerde

__all__ = ["FLOW_RECORD_SERDE", "FlowRecord"]


class FlowRecord(BaseModel):
    """One revision of a flow: its YAML source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str
    id: str
    revision: int = Field(ge=1)
    source: str

    @property
    def uid(self) -> str:
        """``namespace/id``, the record's key."""
        return f"{self.namespace}/{self.id}"


FLOW_RECORD_SERDE: ModelSerde[FlowRecord] = ModelSerde("flow", FlowRecord)
