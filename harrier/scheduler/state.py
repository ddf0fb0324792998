"""What the scheduler keeps on the compacted ``triggers`` topic.

Three record kinds share the topic; a record's partition is the partition of its flow on the
``flows`` topic, so one owner holds a flow, its triggers and their states:

| kind                 | key                         | model          |
|----------------------|-----------------------------|----------------|
| trigger-state        | namespace/flow/trigger      | TriggerState   |
| flow-triggers        | namespace/flow              | FlowTriggers   |
| scheduler-progress   | ~progress/<partition>       | Progress       |

``FlowTriggers`` records which flow revision the states were built from, so a restart needs
no YAML parsing for flows that did not change. ``Progress`` is how far the partition's owner
has read ``execution-states`` and ``flows``; it commits in the same transaction as what that
reading produced (flow-trigger executions, released locks, trigger states), which makes them
exactly-once, and lets a restart read only the flow records written since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harrier.core.conditions import ConditionWindow
from harrier.topics.serdes import ENVELOPE_VERSION, ModelSerde

__all__ = [
    "FLOW_TRIGGERS_SERDE",
    "PROGRESS_SERDE",
    "TRIGGER_STATE_SERDE",
    "BackfillProgress",
    "FlowTriggers",
    "Progress",
    "TriggerState",
    "envelope_prefix",
    "progress_key",
    "trigger_uid",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackfillProgress(_Record):
    """A backfill: one execution per tick from ``start`` to ``end``; ``current`` is the next one."""

    start: datetime
    end: datetime
    current: datetime
    paused: bool = False
    done: bool = False
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)


class TriggerState(_Record):
    """One trigger's state: its declaration (as of ``revision``), next date, lock, backfill and
    condition windows.

    Field order matters: the scheduling fields come before the nested ones (backfill,
    declaration), so a restart reads them from the record bytes (``statestore``).
    """

    uid: str
    namespace: str
    flow_id: str
    trigger_id: str
    type: str
    revision: int
    next_date: datetime | None = None
    execution_id: str | None = None
    locked_at: datetime | None = None
    disabled: bool = False
    updated_at: datetime
    backfill: BackfillProgress | None = None
    # The current window of each windowed condition (MultipleCondition, preconditions) by id.
    windows: dict[str, ConditionWindow] | None = None
    declaration: dict[str, Any]


class FlowTriggers(_Record):
    """The trigger ids of one flow revision (an empty list for a flow without triggers)."""

    namespace: str
    flow_id: str
    revision: int
    trigger_ids: list[str]


class Progress(_Record):
    """How far the partition's owner has read its inputs, and when it wrote this."""

    # Next offset to read, by ``execution-states`` partition.
    offsets: dict[int, int]
    # Next offset of the partition's ``flows`` partition: every flow record below it is
    # reflected in the trigger states, so a restart reads flows from here (None: from the start).
    flows_offset: int | None = None
    written_at: datetime | None = None


TRIGGER_STATE_SERDE: ModelSerde[TriggerState] = ModelSerde("trigger-state", TriggerState)
FLOW_TRIGGERS_SERDE: ModelSerde[FlowTriggers] = ModelSerde("flow-triggers", FlowTriggers)
PROGRESS_SERDE: ModelSerde[Progress] = ModelSerde("scheduler-progress", Progress)


def trigger_uid(namespace: str, flow_id: str, trigger_id: str) -> str:
    """The key of a trigger on the ``triggers`` topic."""
    return f"{namespace}/{flow_id}/{trigger_id}"


def progress_key(partition: int) -> str:
    """The key of a partition's ``Progress`` record (``~`` cannot start a namespace)."""
    return f"~progress/{partition}"


def envelope_prefix(kind: str) -> bytes:
    """The bytes every record of envelope type ``kind`` starts with (a cheap kind check)."""
    return b'{"v":%d,"type":"%s","data":' % (ENVELOPE_VERSION, kind.encode())
