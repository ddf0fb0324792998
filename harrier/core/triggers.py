"""Trigger declarations: Schedule, ScheduleOnDates, Flow, Webhook, http.Trigger and the Kafka triggers.

Like tasks, each trigger type declares only its own properties; the scheduler and the
webserver give them behaviour. No Kafka client is imported here: the Kafka triggers are
plain declarations.
"""

from __future__ import annotations

import enum
import zoneinfo
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Literal

from croniter import croniter
from pydantic import Field, ValidationInfo, field_validator

from harrier.core.properties import Duration, DynDict, DynStr
from harrier.core.tasks.base import Plugin

__all__ = ["BUILTIN_TRIGGERS", "FlowTrigger", "HttpTrigger", "KafkaRealtimeTrigger", "KafkaTrigger", "Schedule", "ScheduleOnDates",
           "SerdeType", "Trigger", "Webhook"]

_CORE = "io.kestra.plugin.core.trigger."


class Trigger(Plugin):
    """Base of every trigger type."""

    # Which conditions the trigger takes (harrier.core.conditions.Kind's value); None: none.
    condition_kind: ClassVar[str | None] = None

    conditions: list[dict[str, Any]] | None = None
    stop_after: list[str] | None = None

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Conditions the scheduler would refuse, where they are."""
        # Imported here: the conditions render expressions, whose context imports the flow
        # model, which imports this module.
        from harrier.core.conditions import Kind, condition_problems

        declared = data.get("conditions")
        if declared is None:
            return
        if cls.condition_kind is None:
            yield ("conditions",), f"conditions are not supported on a {cls.type_name} trigger"
            return
        for path, message in condition_problems(declared, Kind(cls.condition_kind)):
            yield ("conditions", *path), message


class Schedule(Trigger):
    """Start an execution on a cron schedule."""

    type_name: ClassVar[str] = "Schedule"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "Schedule", "io.kestra.core.models.triggers.types.Schedule")
    condition_kind: ClassVar[str | None] = "Schedule"

    # withSeconds comes first so the cron check can read it.
    with_seconds: bool = False
    cron: str
    timezone: str = "Etc/UTC"
    backfill: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None
    late_maximum_delay: Duration | None = None
    recover_missed_schedules: Literal["ALL", "NONE", "LAST"] | None = None

    _check_timezone = field_validator("timezone")(lambda value: _known_timezone(value))

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str, info: ValidationInfo) -> str:
        with_seconds = bool(info.data.get("with_seconds"))
        problem = _cron_problem(value, with_seconds)
        if problem is not None:
            raise ValueError(f"invalid cron expression {value!r}: {problem}")
        return value


def _known_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r}") from None
    return value


# Each cron field's name and the range of its numbers, in order (seconds only with withSeconds).
_SECOND_FIELD = ("second", 0, 59)
_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))


def _cron_problem(value: str, with_seconds: bool) -> str | None:
    """What is wrong with a cron expression, or None when croniter accepts it."""
    fields = (_SECOND_FIELD, *_CRON_FIELDS) if with_seconds else _CRON_FIELDS
    parts = value.split()
    if value.strip().startswith("@"):
        if croniter.is_valid(value, second_at_beginning=with_seconds):
            return None
        return "unknown shortcut, use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
    if len(parts) != len(fields):
        hint = "6 fields (withSeconds is set)" if with_seconds else "5 fields, like '0 * * * *'"
        return f"expected {hint}, got {len(parts)}"
    if croniter.is_valid(value, second_at_beginning=with_seconds):
        return None
    for index, ((name, low, high), text) in enumerate(zip(fields, parts)):
        # Judge each field alone, every other field a wildcard.
        alone = " ".join(text if i == index else "*" for i in range(len(parts)))
        if croniter.is_valid(alone, second_at_beginning=with_seconds):
            continue
        for item in text.split(","):
            base = item.split("/", 1)[0]
            for number in (n for n in base.split("-") if n.isdigit()):
                if not low <= int(number) <= high:
                    return f"{name} {int(number)} out of range {low}-{high}"
        return f"invalid {name} field {text!r}"
    try:
        croniter(value, second_at_beginning=with_seconds)
    except Exception as exc:  # noqa: BLE001 - croniter's own reason is the message
        return str(exc)
    return "not accepted by croniter"


class ScheduleOnDates(Trigger):
    """Start an execution at each of a list of dates (for calendars no cron can express)."""

    type_name: ClassVar[str] = "ScheduleOnDates"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "ScheduleOnDates",)
    condition_kind: ClassVar[str | None] = "Schedule"

    # timezone comes first so the dates can read it.
    timezone: str = "Etc/UTC"
    dates: list[datetime] = Field(min_length=1)
    inputs: dict[str, Any] | None = None
    recover_missed_schedules: Literal["ALL", "NONE", "LAST"] | None = None

    _check_timezone = field_validator("timezone")(lambda value: _known_timezone(value))

    @field_validator("dates", mode="before")
    @classmethod
    def _zoned(cls, value: Any, info: ValidationInfo) -> Any:
        """A date without an offset is a wall time in ``timezone``; dates come out sorted, in UTC."""
        if not isinstance(value, list):
            return value
        zone = zoneinfo.ZoneInfo(info.data.get("timezone") or "Etc/UTC")
        out = []
        for item in value:
            moment = datetime.fromisoformat(item.replace("Z", "+00:00")) if isinstance(item, str) else item
            if isinstance(moment, datetime):
                moment = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(timezone.utc)
            out.append(moment)
        return sorted(out) if all(isinstance(m, datetime) for m in out) else out


class FlowTrigger(Trigger):
    """Start an execution when other executions end (filtered by conditions or preconditions)."""

    type_name: ClassVar[str] = "Flow"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "Flow", "io.kestra.core.models.triggers.types.Flow")
    condition_kind: ClassVar[str | None] = "Flow"

    inputs: dict[str, Any] | None = None
    preconditions: dict[str, Any] | None = None
    states: list[str] | None = None

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Conditions and preconditions the scheduler would refuse."""
        from harrier.core.conditions import ConditionError, build_preconditions

        yield from super().raw_problems(data)
        if data.get("preconditions") is not None:
            try:
                build_preconditions(data["preconditions"])
            except ConditionError as exc:
                yield ("preconditions", *exc.path), exc.message


class Webhook(Trigger):
    """Start an execution on `POST|GET /api/v1/executions/webhook/{namespace}/{flowId}/{key}`."""

    type_name: ClassVar[str] = "Webhook"
    type_aliases: ClassVar[tuple[str, ...]] = (_CORE + "Webhook", "io.kestra.core.models.triggers.types.Webhook")
    condition_kind: ClassVar[str | None] = "Webhook"

    key: DynStr = Field(min_length=1, max_length=256)
    wait: bool = False
    return_outputs: bool = False


class SerdeType(enum.StrEnum):
    """Kafka key/value deserializers, as Kestra names them."""

    STRING = "STRING"
    INTEGER = "INTEGER"
    FLOAT = "FLOAT"
    DOUBLE = "DOUBLE"
    LONG = "LONG"
    SHORT = "SHORT"
    BYTE_ARRAY = "BYTE_ARRAY"
    BYTE_BUFFER = "BYTE_BUFFER"
    BYTES = "BYTES"
    UUID = "UUID"
    VOID = "VOID"
    AVRO = "AVRO"
    JSON = "JSON"


class _KafkaConsumer(Trigger):
    properties: dict[str, Any]
    topic: str | list[str] | None = None
    topic_pattern: str | None = None
    group_id: str | None = None
    partitions: list[int] | None = None
    key_deserializer: SerdeType = SerdeType.STRING
    value_deserializer: SerdeType = SerdeType.STRING
    serde_properties: dict[str, Any] | None = None
    since: str | None = None

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Exactly one topic source, and a broker to reach."""
        yield from super().raw_problems(data)
        if ("topic" in data) == ("topicPattern" in data):
            yield (), "set exactly one of topic or topicPattern"
        properties = data.get("properties")
        if isinstance(properties, dict) and "bootstrap.servers" not in properties:
            yield ("properties",), "properties needs bootstrap.servers"


class KafkaRealtimeTrigger(_KafkaConsumer):
    """Start one execution per Kafka record, as soon as it arrives."""

    type_name: ClassVar[str] = "kafka.RealtimeTrigger"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.kafka.RealtimeTrigger",)


class KafkaTrigger(_KafkaConsumer):
    """Poll Kafka every `interval` and start one execution per batch of records."""

    type_name: ClassVar[str] = "kafka.Trigger"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.kafka.Trigger",)

    interval: Duration = timedelta(minutes=1)
    max_records: int | None = Field(default=None, ge=1)
    max_duration: Duration | None = None
    poll_duration: Duration | None = None


class HttpTrigger(Trigger):
    """Call ``uri`` every ``interval``; start an execution when ``responseCondition`` holds."""

    type_name: ClassVar[str] = "http.Trigger"
    type_aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.http.Trigger", "io.kestra.plugin.fs.http.Trigger")

    uri: DynStr
    method: DynStr = "GET"
    body: DynStr | None = None
    headers: DynDict | None = None
    form_data: DynDict | None = None
    content_type: DynStr | None = None
    params: DynDict | None = None
    options: dict[str, Any] | None = None
    interval: Duration = timedelta(seconds=60)
    response_condition: DynStr = "{{ response.statusCode < 400 }}"
    encrypt_body: Literal[False] = False


BUILTIN_TRIGGERS: tuple[type[Trigger], ...] = (Schedule, ScheduleOnDates, FlowTrigger, Webhook, HttpTrigger,
                                               KafkaRealtimeTrigger, KafkaTrigger)
