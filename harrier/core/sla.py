"""Kestra's flow `sla`: what an execution must meet, and what happens when it does not.

- MAX_DURATION: the execution must end within `duration` of starting to run; checked by a
  timer of the execution (`harrier.core.transitions.slas`);
- EXECUTION_ASSERTION: `assert` must render truthy once the execution's tasks are done.

A violated SLA's `behavior` decides: FAIL ends the execution FAILED, CANCEL ends it CANCELLED,
NONE only logs; in every case its `labels` are added to the execution's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from harrier.core.models import Model
from harrier.core.properties import Duration, Id, Labels

__all__ = ["SLA"]


class SLA(Model):
    """One service-level agreement of a flow."""

    id: Id
    type: Literal["MAX_DURATION", "EXECUTION_ASSERTION"]
    behavior: Literal["FAIL", "CANCEL", "NONE"]
    labels: Labels | None = None
    duration: Duration | None = None
    assert_: str | None = Field(default=None, alias="assert")

    @model_validator(mode="after")
    def _check_kind(self) -> SLA:
        if self.type == "MAX_DURATION" and self.duration is None:
            raise ValueError("a MAX_DURATION sla needs a duration")
        if self.type == "EXECUTION_ASSERTION" and not self.assert_:
            raise ValueError("an EXECUTION_ASSERTION sla needs an assert expression")
        return self
