"""The Log task: write a message (or several) to the execution's logs."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

from harrier.core.properties import describe
from harrier.core.tasks.base import LogLevel, Task

__all__ = ["Echo", "Log"]


def _message(value: Any) -> str | list[str]:
    def one(item: Any) -> str:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise PydanticCustomError(
                "harrier_type", "expected a string or a list of strings, got {got}", {"got": describe(item)}
            )
        return item if isinstance(item, str) else str(item)

    return [one(i) for i in value] if isinstance(value, list) else one(value)


class Log(Task):
    """Log `message` at `level`."""

    type_name: ClassVar[str] = "Log"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log")

    message: Annotated[str | list[str], PlainValidator(lambda v: _message(v))]
    level: LogLevel = LogLevel.INFO


class Echo(Task):
    """Log `format` at `level`: Kestra's deprecated form of Log."""

    type_name: ClassVar[str] = "debug.Echo"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.debug.Echo", "io.kestra.core.tasks.debugs.Echo")

    format: str
    level: LogLevel = LogLevel.INFO
