"""Loops beside ForEach: WaitFor, and Kestra's deprecated EachSequential and EachParallel.

WaitFor runs its `tasks` again and again, `checkFrequency.interval` apart, while `condition`
renders truthy, at most `maxIterations` times and for `maxDuration`; its run's outputs hold
`iterationCount`. EachSequential and EachParallel are ForEach under their older names:
`value` is ForEach's `values`; EachSequential runs one value at a time, EachParallel up to
`concurrent` (0 = all) and, unlike ForEach, starts an iteration's tasks all at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, model_validator

from harrier.core.models import Model
from harrier.core.properties import Duration, DynStr
from harrier.core.tasks.base import AnyTask
from harrier.core.tasks.flowable import Flowable, ForEach

__all__ = ["CheckFrequency", "EachParallel", "EachSequential", "WaitFor"]

_CORE = "io.kestra.plugin.core.flow."
_LEGACY = "io.kestra.core.tasks.flows."


class CheckFrequency(Model):
    """How often, how many times and how long WaitFor checks its condition."""

    max_iterations: int = Field(default=100, ge=1)
    max_duration: Duration = timedelta(hours=1)
    interval: Duration = timedelta(seconds=1)


class WaitFor(Flowable):
    """Run `tasks` until `condition` renders falsy (checked after each round)."""

    type_name: ClassVar[str] = "WaitFor"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "WaitFor",)

    tasks: list[AnyTask] = Field(min_length=1)
    condition: DynStr
    fail_on_max_reached: bool = False
    check_frequency: CheckFrequency = Field(default_factory=CheckFrequency)


def _renamed(data: Any, concurrency: Any) -> Any:
    if isinstance(data, dict) and "value" in data:
        data = dict(data)
        data["values"] = data.pop("value")
        data["concurrencyLimit"] = concurrency(data)
    return data


class EachSequential(ForEach):
    """ForEach one value at a time (Kestra's deprecated name)."""

    type_name: ClassVar[str] = "EachSequential"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "EachSequential", _LEGACY + "EachSequential")

    @model_validator(mode="before")
    @classmethod
    def _from_value(cls, data: Any) -> Any:
        return _renamed(data, lambda _: 1)


class EachParallel(ForEach):
    """ForEach over all values at once, or `concurrent` at a time (Kestra's deprecated name)."""

    type_name: ClassVar[str] = "EachParallel"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "EachParallel", _LEGACY + "EachParallel")
    parallel_tasks: ClassVar[bool] = True

    @model_validator(mode="before")
    @classmethod
    def _from_value(cls, data: Any) -> Any:
        return _renamed(data, lambda raw: raw.pop("concurrent", 0))
